-- A respondent withdrawn from the sample by staff (retired, moved to another agency, listed by
-- mistake): their link stops working, no message goes to them any more, and the response-rate
-- counts leave them out. Never someone who has answered: their response is anonymous and stays.
-- Undone by clearing both columns.
ALTER TABLE invitations ADD COLUMN withdrawn_at TEXT;
ALTER TABLE invitations ADD COLUMN withdrawn_reason TEXT CHECK (withdrawn_reason IS NULL OR length(withdrawn_reason) BETWEEN 1 AND 200);

CREATE TRIGGER invitations_withdraw_unanswered_only
BEFORE UPDATE OF withdrawn_at ON invitations
WHEN NEW.withdrawn_at IS NOT NULL AND OLD.status = 'completed'
BEGIN
  SELECT RAISE(ABORT, 'a completed invitation cannot be withdrawn');
END;

CREATE TRIGGER invitations_withdrawn_never_complete
BEFORE UPDATE OF status ON invitations
WHEN NEW.status = 'completed' AND OLD.withdrawn_at IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'a withdrawn invitation cannot be completed');
END;

-- The agency page lists its withdrawn respondents: a few among tens of thousands of invitations.
CREATE INDEX invitations_withdrawn ON invitations (survey_id) WHERE withdrawn_at IS NOT NULL;
