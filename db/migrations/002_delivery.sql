-- Delivery: a durable outbox of messages, every attempt recorded (rate limits survive restarts),
-- and opt-outs on the invitation (no further message on any channel).
ALTER TABLE invitations ADD COLUMN opted_out_at TEXT;

CREATE TABLE messages (
  id              INTEGER PRIMARY KEY,
  invitation_id   INTEGER NOT NULL REFERENCES invitations(id),
  channel         TEXT NOT NULL CHECK (channel IN ('email', 'whatsapp')),
  kind            TEXT NOT NULL CHECK (kind IN ('invitation', 'reminder')),
  state           TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'bounced', 'cancelled')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,          -- ms since epoch
  lease_until     INTEGER,                   -- ms since epoch, while 'sending'
  provider_id     TEXT,
  provider_status TEXT,
  error_code      TEXT,
  last_error      TEXT,
  created_at      TEXT NOT NULL,
  sent_at         TEXT,
  updated_at      TEXT NOT NULL
);
CREATE INDEX messages_due ON messages (channel, state, next_attempt_at);
CREATE INDEX messages_by_invitation ON messages (invitation_id);
CREATE UNIQUE INDEX messages_provider_id ON messages (provider_id) WHERE provider_id IS NOT NULL;
-- One invitation message per invitation and channel: queueing twice is impossible, not just avoided.
CREATE UNIQUE INDEX messages_one_invitation_per_channel ON messages (invitation_id, channel) WHERE kind = 'invitation';

CREATE TABLE delivery_attempts (
  id           INTEGER PRIMARY KEY,
  message_id   INTEGER NOT NULL REFERENCES messages(id),
  channel      TEXT NOT NULL,
  attempted_at INTEGER NOT NULL,             -- ms since epoch, when the message was claimed for sending
  outcome      TEXT,                         -- sent | retry | failed | bounced | cancelled
  detail       TEXT
);
CREATE INDEX delivery_attempts_recent ON delivery_attempts (channel, attempted_at);
