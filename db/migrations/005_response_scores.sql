-- Each response's dimension scores s(r, d) (scoring.md §2), written in the same transaction as the
-- response, so that results are a GROUP BY over an index instead of a re-read of every answer.
-- The survey, agency and group are repeated from the response (same random key, nothing more about
-- anyone) so the sums are read from one covering index without joining back to each response.
-- `scored` = 0 marks responses stored before this table existed: they are scored once, lazily.
ALTER TABLE responses ADD COLUMN scored INTEGER NOT NULL DEFAULT 0;

CREATE TABLE response_scores (
  response_id TEXT NOT NULL REFERENCES responses(id),
  survey_id   INTEGER NOT NULL,
  agency_id   INTEGER NOT NULL,
  group_code  TEXT NOT NULL,
  dimension   TEXT NOT NULL,
  score       REAL NOT NULL,
  PRIMARY KEY (response_id, dimension)
) WITHOUT ROWID;
CREATE INDEX response_scores_sums ON response_scores (survey_id, agency_id, group_code, dimension, score);

-- Counts of eligible and excluded responses per agency and group, read from the index alone.
CREATE INDEX responses_counts ON responses (survey_id, agency_id, group_code, flag_manual, flags_cleared, flag_speeder, flag_straightliner);
