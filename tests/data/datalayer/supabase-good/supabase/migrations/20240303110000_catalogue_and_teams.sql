-- A public product catalogue: readable by everyone on purpose, no owner column.
create table public.products (
  id bigint generated always as identity primary key,
  name text not null,
  price_cents integer not null
);
alter table public.products enable row level security;
create policy "Catalogue is public" on public.products for select to anon, authenticated using (true);

create table public.teams (id uuid primary key default gen_random_uuid(), name text not null);
create table public.team_members (
  team_id uuid references public.teams (id),
  user_id uuid references auth.users (id),
  primary key (team_id, user_id)
);
alter table public.teams enable row level security;
alter table public.team_members enable row level security;

create or replace function private.is_team_member(t uuid) returns boolean
language sql security definer set search_path = '' stable
as $$ select exists (select 1 from public.team_members m where m.team_id = t and m.user_id = auth.uid()) $$;

create policy "Members see their teams" on public.teams for select to authenticated
  using (private.is_team_member(id));
create policy "Members see co-members" on public.team_members for select to authenticated
  using (private.is_team_member(team_id));

-- An RPC that must run as definer, locked down to the server.
create function public.purge_old_todos() returns void language sql security definer set search_path = ''
as $$ delete from public.todos where inserted_at < now() - interval '1 year' $$;
revoke execute on function public.purge_old_todos() from public, anon, authenticated;

-- Server-only table: RLS on, grants revoked from the API roles.
create table public.stripe_events (id text primary key, payload jsonb not null);
revoke all on table public.stripe_events from anon, authenticated;
