-- foreign keys off while rebuilding (invitations refer to respondents; see platform/db.ts)
--
-- Erasing a closed round's personal data (respondents/erasure.ts): once its results are final,
-- an administrator erases its respondents' names, email addresses and phone numbers, the drafts
-- of questionnaires never submitted, and the providers' error texts (which quote addresses). What
-- is left says how many were asked and reached in each agency, group and unit, never who.
--
-- An erased respondent has neither email nor phone, which the respondents table's CHECK refused:
-- SQLite cannot change a CHECK in place, so the table is rebuilt with the same ids, columns and
-- indexes, and erased_on (the day) added.
CREATE TABLE respondents_rebuilt (
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
  erased_on  TEXT,
  CHECK (email IS NOT NULL OR phone IS NOT NULL OR erased_on IS NOT NULL),
  CHECK (erased_on IS NULL OR (email IS NULL AND phone IS NULL AND name = ''))
);

INSERT INTO respondents_rebuilt (id, survey_id, agency_id, group_code, unit_id, name, email, phone, language, created_at)
SELECT id, survey_id, agency_id, group_code, unit_id, name, email, phone, language, created_at
  FROM respondents ORDER BY id;

DROP TABLE respondents;
ALTER TABLE respondents_rebuilt RENAME TO respondents;

CREATE UNIQUE INDEX respondents_email_unique ON respondents (survey_id, agency_id, email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX respondents_phone_unique ON respondents (survey_id, agency_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX respondents_by_agency ON respondents (survey_id, agency_id, group_code);

-- One erasure per survey: started (from then on the survey cannot open again, so it takes no new
-- respondents either), and finished once every batch is done; an interrupted one is run again.
CREATE TABLE contact_erasures (
  survey_id   INTEGER PRIMARY KEY REFERENCES surveys(id),
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  erased_by   TEXT NOT NULL,
  respondents INTEGER NOT NULL DEFAULT 0
);

CREATE TRIGGER surveys_erased_stay_closed
BEFORE UPDATE OF status ON surveys
WHEN NEW.status <> 'closed' AND EXISTS (SELECT 1 FROM contact_erasures WHERE survey_id = NEW.id)
BEGIN
  SELECT RAISE(ABORT, 'the personal data of this survey has been erased: it stays closed');
END;

