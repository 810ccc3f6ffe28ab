-- Written after the dump: relies on the normal search_path (public, extensions) again.
create table tags (
  id uuid primary key default uuid_generate_v4(),
  note_id bigint references notes (id) on delete cascade,
  label text not null default encode(gen_random_bytes(4), 'hex')
);
alter table tags enable row level security;
create policy "tags of own notes" on tags for all to authenticated
  using (exists (select 1 from notes n where n.id = note_id and n.user_id = auth.uid()));
alter database postgres set "app.settings.tags_enabled" to 'true';
