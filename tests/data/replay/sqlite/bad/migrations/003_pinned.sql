ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;

INSERT INTO tags (note_id, name)
  SELECT id, 'archived' FROM archived_notes;
