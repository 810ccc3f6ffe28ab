-- "Temporary" debugging switch that never got reverted.
alter table public.wallets disable row level security;
