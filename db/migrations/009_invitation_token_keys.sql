-- foreign keys off while rebuilding (messages refer to invitations; see platform/db.ts)
--
-- Smaller keys for invitation tokens, for a national round's imports and look-ups:
-- - token_seed loses its UNIQUE index: nothing looks a seed up, and two equal seeds would give
--   equal tokens, which token_hash's own UNIQUE index already refuses.
-- - token_hash is stored as the 32 bytes of SHA-256(token) instead of 64 hex characters, which
--   halves the index every respondent request searches.
-- SQLite cannot drop a column's UNIQUE or change its type in place: the table is rebuilt, with
-- the same ids, columns, index and trigger.
CREATE TABLE invitations_rebuilt (
  id               INTEGER PRIMARY KEY,
  respondent_id    INTEGER NOT NULL UNIQUE REFERENCES respondents(id),
  survey_id        INTEGER NOT NULL REFERENCES surveys(id),
  token_seed       TEXT NOT NULL,
  token_hash       BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  status           TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'opened', 'in_progress', 'completed')),
  language         TEXT,
  opened_at        TEXT,
  started_at       TEXT,
  completed_on     TEXT,
  receipt_code     TEXT,
  draft_json       TEXT,
  draft_updated_at TEXT,
  opted_out_at     TEXT
);

INSERT INTO invitations_rebuilt (id, respondent_id, survey_id, token_seed, token_hash, status, language,
  opened_at, started_at, completed_on, receipt_code, draft_json, draft_updated_at, opted_out_at)
SELECT id, respondent_id, survey_id, token_seed, unhex(token_hash), status, language,
  opened_at, started_at, completed_on, receipt_code, draft_json, draft_updated_at, opted_out_at
  FROM invitations ORDER BY id;

DROP TABLE invitations;
ALTER TABLE invitations_rebuilt RENAME TO invitations;

CREATE INDEX invitations_by_survey ON invitations (survey_id, status);

CREATE TRIGGER invitations_complete_once
BEFORE UPDATE OF status ON invitations
WHEN OLD.status = 'completed'
BEGIN
  SELECT RAISE(ABORT, 'invitation already completed');
END;
