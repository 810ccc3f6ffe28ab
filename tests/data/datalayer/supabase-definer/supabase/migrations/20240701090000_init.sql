create table public.orders (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id),
  total_cents integer not null
);
alter table public.orders enable row level security;
create policy "Own orders" on public.orders for select to authenticated using ((select auth.uid()) = user_id);

-- A dashboard view: runs as its owner, so it shows every user's orders.
create view public.order_totals as
  select user_id, sum(total_cents) as total from public.orders group by user_id;

-- Exposes auth.users to the API.
create or replace view public.member_emails as select id, email from auth.users;

-- Callable through /rpc by anyone with the anon key, bypasses RLS.
create or replace function public.search_orders(q text) returns setof public.orders
language sql security definer
as $$ select * from public.orders where cast(id as text) like q $$;

-- Only revoked from PUBLIC: Supabase's own grants to anon/authenticated remain.
create function public.admin_stats() returns bigint language sql security definer
as $$ select count(*) from public.orders $$;
revoke execute on function public.admin_stats() from public;

-- Fixed: invoker view and a locked-down definer function.
create view public.my_orders with (security_invoker = on) as select * from public.orders;
create function public.safe_fn() returns int language sql security definer as $$ select 1 $$;
revoke execute on function public.safe_fn() from public, anon, authenticated;
