-- Profiles for every signed-up user, created by a trigger on auth.users.
create extension if not exists "uuid-ossp";
create extension if not exists pg_net with schema extensions;
create extension if not exists pg_cron;

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  username text unique,
  avatar_url text,
  updated_at timestamptz default now()
);
alter table public.profiles enable row level security;

create policy "Profiles are public" on public.profiles for select using (true);
create policy "Users update their own profile" on public.profiles
  for update to authenticated using (auth.uid() = id) with check ((select auth.uid()) = id);

create function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.profiles (id, username) values (new.id, new.raw_user_meta_data ->> 'username');
  return new;
end;
$$;
create trigger on_auth_user_created after insert on auth.users
  for each row execute procedure public.handle_new_user();
