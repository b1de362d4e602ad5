-- Responses whose dimension scores are not stored yet (written before migration 005): the results
-- document checks for them on every computation; a partial index answers that without a scan.
CREATE INDEX responses_unscored ON responses (survey_id) WHERE scored = 0;
