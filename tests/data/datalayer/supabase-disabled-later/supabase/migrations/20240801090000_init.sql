create table public.documents (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id),
  body text
);
alter table public.documents enable row level security;
create policy "Own documents" on public.documents for all to authenticated
  using ((select auth.uid()) = owner_id) with check ((select auth.uid()) = owner_id);

create table public.tags (id bigint primary key, label text);
alter table public.tags enable row level security;
create policy "Tags readable" on public.tags for select using (true);
