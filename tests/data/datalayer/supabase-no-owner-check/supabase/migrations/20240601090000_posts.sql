create table public.posts (
  id uuid primary key default gen_random_uuid(),
  author_id uuid not null references auth.users (id),
  title text not null,
  status text not null default 'draft',
  published boolean not null default false
);
alter table public.posts enable row level security;

-- Published posts are public by design (low, not an error).
create policy "Published posts are readable" on public.posts for select using (published);

-- Any caller can edit any draft: the author is never checked.
create policy "Edit drafts" on public.posts for update to authenticated
  using (status = 'draft') with check (status = 'draft');

create policy "Delete drafts" on public.posts for delete to authenticated using (status = 'draft');

-- Correct one for contrast.
create policy "Authors insert" on public.posts for insert to authenticated
  with check ((select auth.uid()) = author_id);
