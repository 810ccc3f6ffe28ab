-- Seed data is not a migration: this table does not exist, so applying it would fail.
insert into public.not_a_table values (1);
