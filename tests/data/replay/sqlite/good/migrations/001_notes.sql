-- migrate:up
CREATE TABLE notes (
  id INTEGER PRIMARY KEY,
  body TEXT NOT NULL,
  updated_at TEXT
);
CREATE TRIGGER notes_touch AFTER UPDATE ON notes
BEGIN
  UPDATE notes SET updated_at = datetime('now') WHERE id = NEW.id;
END;

-- migrate:down
DROP TABLE notes_that_never_existed;
