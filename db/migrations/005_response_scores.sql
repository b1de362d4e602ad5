-- Each response's dimension scores s(r, d) (scoring.md §2), written in the same transaction as the
-- response, so that results are one GROUP BY instead of a re-read of every answer.
-- `scored` = 0 marks responses stored before this table existed: they are scored once, lazily.
ALTER TABLE responses ADD COLUMN scored INTEGER NOT NULL DEFAULT 0;

CREATE TABLE response_scores (
  response_id TEXT NOT NULL REFERENCES responses(id),
  dimension   TEXT NOT NULL,
  score       REAL NOT NULL,
  PRIMARY KEY (response_id, dimension)
) WITHOUT ROWID;
