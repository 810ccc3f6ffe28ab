-- RLS switched on in a later file than the CREATE TABLE: the tables are protected from here on.
alter table public.wallets enable row level security;
alter table public.menu_items enable row level security;
alter table public.feedback enable row level security;

create policy "own wallet" on public.wallets for select to authenticated using ((select auth.uid()) = user_id);
create policy "menu is public" on public.menu_items for select using (true);
create policy "feedback open" on public.feedback for update to authenticated using (true);
create policy "own feedback" on public.feedback for select to authenticated using (auth.uid() = user_id);
