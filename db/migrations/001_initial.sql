-- Surveys: the current definition, plus every questionnaire version answers were collected under.
CREATE TABLE surveys (
  id              INTEGER PRIMARY KEY,
  code            TEXT NOT NULL UNIQUE,
  status          TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
  version         INTEGER NOT NULL DEFAULT 1,
  definition_json TEXT NOT NULL,
  opens_on        TEXT NOT NULL,
  closes_on       TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);

CREATE TABLE survey_versions (
  survey_id       INTEGER NOT NULL REFERENCES surveys(id),
  version         INTEGER NOT NULL,
  definition_json TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  PRIMARY KEY (survey_id, version)
);

CREATE TABLE agencies (
  id         INTEGER PRIMARY KEY,
  code       TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('ministry', 'agency', 'province', 'regency', 'city', 'other')),
  parent_id  INTEGER REFERENCES agencies(id),
  created_at TEXT NOT NULL
);

CREATE TABLE agency_units (
  id        INTEGER PRIMARY KEY,
  agency_id INTEGER NOT NULL REFERENCES agencies(id),
  name      TEXT NOT NULL COLLATE NOCASE,
  UNIQUE (agency_id, name)
);

-- Who is asked (identity). Never joined to responses.
CREATE TABLE respondents (
  id         INTEGER PRIMARY KEY,
  survey_id  INTEGER NOT NULL REFERENCES surveys(id),
  agency_id  INTEGER NOT NULL REFERENCES agencies(id),
  group_code TEXT NOT NULL,
  unit_id    INTEGER REFERENCES agency_units(id),
  name       TEXT NOT NULL DEFAULT '',
  email      TEXT COLLATE NOCASE,
  phone      TEXT,
  language   TEXT NOT NULL DEFAULT 'id',
  created_at TEXT NOT NULL,
  CHECK (email IS NOT NULL OR phone IS NOT NULL)
);
CREATE UNIQUE INDEX respondents_email_unique ON respondents (survey_id, agency_id, email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX respondents_phone_unique ON respondents (survey_id, agency_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX respondents_by_agency ON respondents (survey_id, agency_id, group_code);

-- One invitation per respondent (and so per survey). The token is HMAC(secret, token_seed);
-- only its SHA-256 is stored for look-up. The draft lives here until submission deletes it.
CREATE TABLE invitations (
  id               INTEGER PRIMARY KEY,
  respondent_id    INTEGER NOT NULL UNIQUE REFERENCES respondents(id),
  survey_id        INTEGER NOT NULL REFERENCES surveys(id),
  token_seed       TEXT NOT NULL UNIQUE,
  token_hash       TEXT NOT NULL UNIQUE,
  status           TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'opened', 'in_progress', 'completed')),
  language         TEXT,
  opened_at        TEXT,
  started_at       TEXT,
  completed_on     TEXT,
  receipt_code     TEXT,
  draft_json       TEXT,
  draft_updated_at TEXT
);
CREATE INDEX invitations_by_survey ON invitations (survey_id, status);

-- The database, not only the code, guarantees one response per invitation: once completed,
-- an invitation can never be completed again or reopened.
CREATE TRIGGER invitations_complete_once
BEFORE UPDATE OF status ON invitations
WHEN OLD.status = 'completed'
BEGIN
  SELECT RAISE(ABORT, 'invitation already completed');
END;

-- What was answered (no identity). A random id and WITHOUT ROWID, so neither the key nor the
-- physical order tells when a response arrived; only the submission day is kept.
CREATE TABLE responses (
  id                    TEXT PRIMARY KEY,
  survey_id             INTEGER NOT NULL REFERENCES surveys(id),
  agency_id             INTEGER NOT NULL REFERENCES agencies(id),
  group_code            TEXT NOT NULL,
  unit_id               INTEGER REFERENCES agency_units(id),
  questionnaire_version INTEGER NOT NULL,
  submitted_on          TEXT NOT NULL,
  duration_seconds      INTEGER,
  source                TEXT NOT NULL CHECK (source IN ('web', 'import')),
  entry_id              TEXT,
  flag_speeder          INTEGER NOT NULL DEFAULT 0 CHECK (flag_speeder IN (0, 1)),
  flag_straightliner    INTEGER NOT NULL DEFAULT 0 CHECK (flag_straightliner IN (0, 1))
) WITHOUT ROWID;
CREATE INDEX responses_by_agency ON responses (survey_id, agency_id, group_code);
CREATE UNIQUE INDEX responses_entry_unique ON responses (survey_id, entry_id) WHERE entry_id IS NOT NULL;

CREATE TABLE response_answers (
  response_id TEXT NOT NULL REFERENCES responses(id),
  item_code   TEXT NOT NULL,
  value_json  TEXT NOT NULL,
  PRIMARY KEY (response_id, item_code)
) WITHOUT ROWID;
