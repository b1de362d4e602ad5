-- Scoring: manual exclusions and cleared automatic flags (each with a reason), and corrections.
ALTER TABLE responses ADD COLUMN flag_manual INTEGER NOT NULL DEFAULT 0;
ALTER TABLE responses ADD COLUMN manual_reason TEXT;
ALTER TABLE responses ADD COLUMN flags_cleared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE responses ADD COLUMN cleared_reason TEXT;

CREATE TABLE corrections (
  id         INTEGER PRIMARY KEY,
  survey_id  INTEGER NOT NULL REFERENCES surveys(id),
  agency_id  INTEGER NOT NULL REFERENCES agencies(id),
  points     REAL NOT NULL CHECK (points > 0),
  reason     TEXT NOT NULL CHECK (length(trim(reason)) > 0),
  created_at TEXT NOT NULL
);
CREATE INDEX corrections_by_agency ON corrections (survey_id, agency_id);
