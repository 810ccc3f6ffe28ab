create table public.profiles (
  id uuid primary key references auth.users (id),
  display_name text,
  credits integer not null default 0
);
alter table public.profiles enable row level security;
create policy "own profile" on public.profiles for select to authenticated using (auth.uid() = id);

create table public.audit_log (
  id bigint generated always as identity primary key,
  user_id uuid,
  action text not null
);
alter table public.audit_log enable row level security;

create table public.invites (
  id uuid primary key default gen_random_uuid(),
  code text not null,
  user_id uuid references auth.users (id),
  used_at timestamptz
);
alter table public.invites enable row level security;
