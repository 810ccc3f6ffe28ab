create table public.profiles (
  id uuid primary key references auth.users on delete cascade,
  username text not null
);
alter table public.profiles enable row level security;
create index profiles_username_idx on public.profiles (username);
create policy "own profile" on public.profiles for select using (auth.uid() = id);
create or replace function public.touch() returns trigger language plpgsql as $$
begin
  new.updated_at := now(); -- drop table x; inside a function body is not a statement
  return new;
end;
$$;
alter table public.todos add constraint todos_len check (char_length(task) > 0) not valid;
