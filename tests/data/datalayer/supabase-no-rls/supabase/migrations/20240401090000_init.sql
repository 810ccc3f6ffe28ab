-- Lovable-style schema: tables created, RLS forgotten.
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  full_name text,
  phone text
);

create table public.invoices (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id),
  amount_cents integer not null,
  paid boolean default false
);
alter table public.invoices enable row level security;
create policy "Own invoices" on public.invoices for select to authenticated using (auth.uid() = user_id);

-- Lookup table without an owner column, still writable by anyone.
create table public.countries (code text primary key, name text not null);

-- Policies written but RLS never enabled: they are not enforced.
create table public.messages (
  id bigint generated always as identity primary key,
  sender_id uuid references auth.users (id),
  body text
);
create policy "Senders read their messages" on public.messages for select using (auth.uid() = sender_id);

-- Not exposed: a private schema is not served by the API.
create schema if not exists private;
create table private.jobs (id bigint primary key, payload jsonb);
