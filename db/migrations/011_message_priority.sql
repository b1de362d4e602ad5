-- Messages queued for one respondent by a staff member (a corrected contact, a respondent added by
-- hand or put back in the sample) are claimed before the bulk of a blast queued earlier: at 10 a
-- second per channel a national blast takes hours, and a liaison who fixed an address expects the
-- invitation to leave now. The index of due messages gains the priority before the due time, so
-- that each priority is read as its own ordered range (outboxStore.ts, CLAIM_SQL).
ALTER TABLE messages ADD COLUMN priority INTEGER NOT NULL DEFAULT 0 CHECK (priority IN (0, 1));
DROP INDEX messages_due;
CREATE INDEX messages_due ON messages (channel, state, priority, next_attempt_at);
