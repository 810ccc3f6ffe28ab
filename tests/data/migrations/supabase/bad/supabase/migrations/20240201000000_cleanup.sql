truncate table public.audit_log; -- expect: migration-destructive
alter table public.todos alter column priority type bigint; -- expect: migration-destructive migration-locking
alter table public.todos add constraint todos_owner_fk foreign key (user_id) references auth.users (id); -- expect: migration-locking
alter table public.profiles rename to members; -- expect: migration-destructive
