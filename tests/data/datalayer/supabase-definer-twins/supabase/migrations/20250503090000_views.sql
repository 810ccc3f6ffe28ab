-- Was created with security_invoker, then replaced without it: CREATE OR REPLACE resets the option.
create view public.leaderboard with (security_invoker = on) as
  select display_name, credits from public.profiles;
create or replace view public.leaderboard as
  select display_name, credits from public.profiles;

-- Hand-filtered definer view: it checks auth.uid() itself, so only a gap in that filter leaks.
create view public.my_invites as
  select id, code, used_at from public.invites where user_id = auth.uid();

-- PG15 invoker view: the caller's RLS applies.
create view public.profile_cards with (security_invoker = true) as
  select id, display_name from public.profiles;
