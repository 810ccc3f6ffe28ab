create table public.notes (
  id bigint generated always as identity primary key,
  user_id uuid references auth.users (id) default auth.uid(),
  body text
);
alter table public.notes enable row level security;
create policy "Own notes" on public.notes for all to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

-- Written by the server with the service key only: RLS on, no policy = API denied.
create table public.audit_log (id bigint generated always as identity primary key, event text, at timestamptz);
alter table public.audit_log enable row level security;
