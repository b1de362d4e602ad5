-- Results an administrator has published: the ranking of a closed round becomes public at
-- /hasil/{survey}, as it stood when published (the document is kept, so a later correction does
-- not change public figures until they are published again). Withdrawing a publication deletes
-- its row; the audit log keeps both.
CREATE TABLE published_results (
  survey_id     INTEGER PRIMARY KEY REFERENCES surveys(id),
  published_at  TEXT NOT NULL,
  published_by  TEXT NOT NULL,
  -- one more each time it is published again: what a parsed document is cached by
  version       INTEGER NOT NULL DEFAULT 1,
  document_json TEXT NOT NULL
);
