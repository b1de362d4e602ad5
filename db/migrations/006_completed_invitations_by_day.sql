-- A completed invitation keeps only the day it was opened and started (DESIGN invariant 1): the
-- exact opening time plus the response's duration would give the exact moment of submission.
-- From now on the submission transaction cuts them; this cuts those completed before.
UPDATE invitations
   SET opened_at = substr(opened_at, 1, 10), started_at = substr(started_at, 1, 10)
 WHERE status = 'completed';
