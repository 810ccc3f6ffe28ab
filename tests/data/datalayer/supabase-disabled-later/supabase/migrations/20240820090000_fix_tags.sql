alter table public.tags enable row level security;
