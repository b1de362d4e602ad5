-- Follow-up actions: what an agency will do about its results (DESIGN: inspectors "plan follow-up
-- actions afterwards"). Planned by administrators and inspectors, reported on by the agency's
-- liaison. Nothing here refers to a respondent or a response.
CREATE TABLE follow_up_actions (
  id         INTEGER PRIMARY KEY,
  survey_id  INTEGER NOT NULL REFERENCES surveys(id),
  agency_id  INTEGER NOT NULL REFERENCES agencies(id),
  dimension  TEXT,                 -- a dimension code of the survey; NULL: the agency as a whole
  title      TEXT NOT NULL,        -- the action or recommendation
  owner      TEXT,                 -- who in the agency carries it out
  due_on     TEXT NOT NULL,        -- YYYY-MM-DD
  status     TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
  progress   TEXT,                 -- the latest progress note
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX follow_up_actions_by_agency ON follow_up_actions (survey_id, agency_id, due_on);
CREATE INDEX follow_up_actions_by_due ON follow_up_actions (survey_id, due_on);
