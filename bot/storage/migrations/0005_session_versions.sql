-- Conversations carry a version that every change moves on, whoever makes it (this process,
-- another one, or a statement written later that forgets to): a conversation kept in memory
-- between two messages is saved only while the version is still the one it was read at.
ALTER TABLE sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER sessions_versioned AFTER UPDATE ON sessions
WHEN NEW.version = OLD.version
BEGIN
    UPDATE sessions SET version = OLD.version + 1 WHERE id = NEW.id;
END;
