-- The open update policy is dropped and recreated with an owner check.
drop policy if exists "feedback open" on public.feedback;
create policy "feedback open" on public.feedback for update to authenticated
  using (auth.uid() = user_id) with check (auth.uid() = user_id);

-- The menu read policy is dropped and recreated... open to writes by mistake.
drop policy "menu is public" on public.menu_items;
create policy "menu is public" on public.menu_items for all using (true);
