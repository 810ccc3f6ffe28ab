-- Bad: anyone can top up anyone's credits by passing their id.
create or replace function public.add_credits(p_user_id uuid, p_amount integer)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.profiles set credits = credits + p_amount where id = p_user_id;
end;
$$;

-- Good: the same change, but only for the caller.
create or replace function public.spend_credit()
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.profiles set credits = credits - 1 where id = auth.uid() and credits > 0;
end;
$$;

-- Logging helper: writes only to the audit log (forged entries, not changed data).
create or replace function public.log_action(_user_id uuid, _action text)
returns void
language sql
security definer
set search_path = ''
as $$
  insert into public.audit_log (user_id, action) values (_user_id, _action);
$$;

-- Invite redemption: gated on a secret code, not on the caller.
create or replace function public.redeem_invite(_code text, _user_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.invites set used_at = now(), user_id = _user_id where code = _code and used_at is null;
  return found;
end;
$$;

-- Server-only: execute revoked from the API roles.
create or replace function public.reset_credits(p_user_id uuid)
returns void
language sql
security definer
set search_path = ''
as $$
  update public.profiles set credits = 0 where id = p_user_id;
$$;
revoke execute on function public.reset_credits(uuid) from public, anon, authenticated;

-- Trigger function: PostgREST cannot call it.
create or replace function public.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.profiles (id, display_name) values (new.id, new.raw_user_meta_data ->> 'name');
  return new;
end;
$$;
