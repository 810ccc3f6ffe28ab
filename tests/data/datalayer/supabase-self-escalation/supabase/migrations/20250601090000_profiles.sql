-- Role kept on the profile row; "update own profile" lets the user write it too.
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text,
  role text not null default 'member'
);
alter table public.profiles enable row level security;
create policy "Users read own profile" on public.profiles for select to authenticated using (auth.uid() = id);
create policy "Users update own profile" on public.profiles for update to authenticated
  using (auth.uid() = id);

-- Same shape, guarded by a trigger that refuses role changes.
create table public.members (
  id uuid primary key references auth.users (id) on delete cascade,
  nickname text,
  is_admin boolean not null default false
);
alter table public.members enable row level security;
create or replace function public.keep_member_flags() returns trigger language plpgsql as $$
begin
  if new.is_admin is distinct from old.is_admin then
    raise exception 'is_admin cannot be changed here';
  end if;
  return new;
end;
$$;
create trigger keep_member_flags before update on public.members
  for each row execute function public.keep_member_flags();
create policy "Members update themselves" on public.members for update to authenticated
  using (auth.uid() = id) with check (auth.uid() = id);

-- Same shape, guarded by column privileges: only the nickname is writable through the API.
create table public.wallets (
  id uuid primary key references auth.users (id) on delete cascade,
  nickname text,
  balance numeric not null default 0
);
alter table public.wallets enable row level security;
revoke update on public.wallets from anon, authenticated;
grant update (nickname) on public.wallets to authenticated;
create policy "Own wallet" on public.wallets for all to authenticated using (auth.uid() = id);

-- A hard-coded super admin is not "each user's own row".
create policy "Founder edits profiles" on public.profiles for all to authenticated
  using (auth.uid() = '5b3f8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b'::uuid);
