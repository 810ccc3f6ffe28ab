CREATE TABLE tags (id INTEGER PRIMARY KEY, note_id INTEGER REFERENCES notes(id), name TEXT);
CREATE INDEX tags_note ON tags(note_id);
