-- Hand-numbered migrations (phase1 ... phase10), applied in numeric order.
create table public.wallets (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id),
  balance numeric not null default 0
);

create table public.menu_items (
  id bigint generated always as identity primary key,
  name text not null,
  price numeric not null
);

create table public.feedback (
  id bigint generated always as identity primary key,
  user_id uuid references auth.users (id),
  body text not null
);
