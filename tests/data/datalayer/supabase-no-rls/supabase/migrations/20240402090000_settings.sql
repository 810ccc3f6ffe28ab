create table public.user_settings (user_id uuid primary key, theme text);
revoke all on public.user_settings from anon, authenticated;
grant select, update on public.user_settings to authenticated;
