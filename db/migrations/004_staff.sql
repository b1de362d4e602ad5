-- Staff accounts, sessions and the audit log.
CREATE TABLE staff_users (
  id            INTEGER PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  role          TEXT NOT NULL CHECK (role IN ('administrator', 'inspector', 'liaison')),
  agency_id     INTEGER REFERENCES agencies(id),
  password_hash TEXT NOT NULL,
  language      TEXT NOT NULL DEFAULT 'id',
  created_at    TEXT NOT NULL,
  disabled_at   TEXT,
  CHECK ((role = 'liaison') = (agency_id IS NOT NULL))
);

-- Only a hash of the session id is stored; the cookie holds the id itself.
CREATE TABLE staff_sessions (
  id_hash    TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES staff_users(id),
  csrf_token TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX staff_sessions_by_user ON staff_sessions (user_id);

-- Append-only: who did what, when (counts and codes; never answers or tokens).
CREATE TABLE audit_log (
  id       INTEGER PRIMARY KEY,
  at       TEXT NOT NULL,
  actor    TEXT NOT NULL,
  action   TEXT NOT NULL,
  detail   TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
