import { statement, type Db } from '../platform/db.js';

export type Channel = 'email' | 'whatsapp';
export type MessageKind = 'invitation' | 'reminder';
export type MessageState = 'queued' | 'sending' | 'sent' | 'delivered' | 'failed' | 'bounced' | 'cancelled';

export interface ClaimedMessage {
  id: number;
  invitationId: number;
  channel: Channel;
  kind: MessageKind;
  attempts: number;
}

/** Queues a message unless an invitation message for that channel exists (the unique index
 * makes a second one impossible). Returns whether a row was added. `priority`: queued for one
 * respondent by a staff member, so claimed before the bulk of a blast (CLAIM_SQL). */
export function queueMessage(db: Db, message: { invitationId: number; channel: Channel; kind: MessageKind; priority?: boolean }, nowMs: number, nowIso: string): boolean {
  return (
    statement(
      db,
      `INSERT INTO messages (invitation_id, channel, kind, state, priority, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, 'queued', ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ).run(message.invitationId, message.channel, message.kind, message.priority ? 1 : 0, nowMs, nowIso, nowIso).changes === 1
  );
}

/** The claim: up to `limit` due messages, those queued for one respondent by a staff member first
 * (priority 1, migration 011), then the rest, the earliest first, with 'sending' ones whose lease
 * expired (their dispatcher died) among them by their due time. Each part is read in its own
 * LIMITed range of the index of due messages: one condition with an OR made SQLite read every
 * message the channel ever had and sort them, 65 ms per claim with 640,000 messages (a national
 * round), several times a second on the server's thread during a blast (BENCHMARKS.md, P4). */
export const CLAIM_SQL = `UPDATE messages
    SET state = 'sending', lease_until = ?, attempts = attempts + 1, updated_at = ?
  WHERE id IN (SELECT id FROM (SELECT * FROM (SELECT id, priority, next_attempt_at FROM messages
                                               WHERE channel = ? AND state = 'queued' AND priority = 1 AND next_attempt_at <= ?
                                               ORDER BY next_attempt_at, id LIMIT ?)
                               UNION ALL
                               SELECT * FROM (SELECT id, priority, next_attempt_at FROM messages
                                               WHERE channel = ? AND state = 'queued' AND priority = 0 AND next_attempt_at <= ?
                                               ORDER BY next_attempt_at, id LIMIT ?)
                               UNION ALL
                               SELECT * FROM (SELECT id, priority, next_attempt_at FROM messages
                                               WHERE channel = ? AND state = 'sending' AND lease_until <= ?
                                               ORDER BY next_attempt_at, id LIMIT ?))
                ORDER BY priority DESC, next_attempt_at, id
                LIMIT ?)
  RETURNING id, invitation_id AS invitationId, channel, kind, attempts`;

/** The zones whose sending hours are closed at a claim (sendingHours.ts, zoneWindows), each with
 * the instant it opens; `defaultZone`: the zone of agencies without one (TIMEZONE). */
export interface ClosedZones {
  defaultZone: string;
  opensAtMs: ReadonlyMap<string, number>;
}

/** Claims up to `limit` due messages of a channel in one transaction (CLAIM_SQL). Each claim is
 * recorded as an attempt, which is what the rate limit counts. A message to an agency in a closed
 * zone goes back to the queue, due when its zone opens, without counting as an attempt: moved out
 * of the due range, it is not read again by every claim until then. `deferred`: how many did. */
export function claimDueMessages(db: Db, channel: Channel, limit: number, nowMs: number, leaseMs: number, closedZones?: ClosedZones): { claimed: ClaimedMessage[]; deferred: number } {
  if (limit <= 0) return { claimed: [], deferred: 0 };
  return db.transaction(() => {
    const range = [channel, nowMs, limit];
    let claimed = statement(db, CLAIM_SQL).all(nowMs + leaseMs, new Date(nowMs).toISOString(), ...range, ...range, ...range, limit) as ClaimedMessage[];
    const before = claimed.length;
    if (closedZones && closedZones.opensAtMs.size > 0) claimed = claimed.filter((message) => !deferToZoneOpening(db, message, closedZones));
    const recordAttempt = statement(db, 'INSERT INTO delivery_attempts (message_id, channel, attempted_at) VALUES (?, ?, ?)');
    for (const message of claimed) recordAttempt.run(message.id, channel, nowMs);
    return { claimed: claimed.sort((a, b) => a.id - b.id), deferred: before - claimed.length };
  }).immediate();
}

/** Puts a just-claimed message back in the queue until its agency's zone opens, if that zone is
 * closed; whether it did. */
function deferToZoneOpening(db: Db, message: ClaimedMessage, closedZones: ClosedZones): boolean {
  const zone = statement(
    db,
    `SELECT COALESCE(a.time_zone, ?) FROM invitations i JOIN respondents r ON r.id = i.respondent_id JOIN agencies a ON a.id = r.agency_id WHERE i.id = ?`,
  ).pluck().get(closedZones.defaultZone, message.invitationId) as string | undefined;
  const opensAtMs = zone === undefined ? undefined : closedZones.opensAtMs.get(zone);
  if (opensAtMs === undefined) return false;
  statement(db, `UPDATE messages SET state = 'queued', next_attempt_at = ?, lease_until = NULL, attempts = attempts - 1 WHERE id = ?`).run(opensAtMs, message.id);
  return true;
}

/** Attempts (claims) of a channel after a moment: the sliding-window rate limit. */
export function countAttemptsSince(db: Db, channel: Channel, sinceMs: number): number {
  return statement(db, 'SELECT COUNT(*) FROM delivery_attempts WHERE channel = ? AND attempted_at > ?').pluck().get(channel, sinceMs) as number;
}

function recordOutcome(db: Db, messageId: number, outcome: string, detail: string | null): void {
  statement(
    db,
    `UPDATE delivery_attempts SET outcome = ?, detail = ?
      WHERE id = (SELECT MAX(id) FROM delivery_attempts WHERE message_id = ?)`,
  ).run(outcome, detail, messageId);
}

export function markSent(db: Db, messageId: number, providerId: string | null, nowIso: string): void {
  db.transaction(() => {
    statement(
      db,
      `UPDATE messages SET state = 'sent', provider_id = ?, lease_until = NULL, sent_at = ?, updated_at = ?, last_error = NULL
        WHERE id = ? AND state = 'sending'`,
    ).run(providerId, nowIso, nowIso, messageId);
    recordOutcome(db, messageId, 'sent', providerId);
  })();
}

export function scheduleRetry(db: Db, messageId: number, nextAttemptMs: number, error: string, errorCode: string | null, nowIso: string): void {
  db.transaction(() => {
    statement(
      db,
      `UPDATE messages SET state = 'queued', next_attempt_at = ?, lease_until = NULL, last_error = ?, error_code = ?, updated_at = ?
        WHERE id = ? AND state = 'sending'`,
    ).run(nextAttemptMs, error, errorCode, nowIso, messageId);
    recordOutcome(db, messageId, 'retry', error);
  })();
}

export function markFailed(db: Db, messageId: number, state: 'failed' | 'bounced' | 'cancelled', error: string, errorCode: string | null, nowIso: string): void {
  db.transaction(() => {
    statement(
      db,
      `UPDATE messages SET state = ?, lease_until = NULL, last_error = ?, error_code = ?, updated_at = ?
        WHERE id = ? AND state IN ('queued', 'sending')`,
    ).run(state, error, errorCode, nowIso, messageId);
    recordOutcome(db, messageId, state, error);
  })();
}

export interface MessageRecord {
  id: number;
  invitationId: number;
  channel: Channel;
  kind: MessageKind;
  state: MessageState;
  providerStatus: string | null;
}

export function findMessageByProviderId(db: Db, providerId: string): MessageRecord | undefined {
  return statement(
    db,
    `SELECT id, invitation_id AS invitationId, channel, kind, state, provider_status AS providerStatus FROM messages WHERE provider_id = ?`,
  ).get(providerId) as MessageRecord | undefined;
}

export function updateProviderStatus(db: Db, messageId: number, state: MessageState, providerStatus: string, errorCode: string | null, nowIso: string): void {
  statement(
    db,
    `UPDATE messages SET state = ?, provider_status = ?, error_code = COALESCE(?, error_code), updated_at = ? WHERE id = ?`,
  ).run(state, providerStatus, errorCode, nowIso, messageId);
}

/** Sends an invitation again on `channel` after its contact was corrected: the invitation message
 * of that channel, whatever became of it, is queued afresh (its attempts stay in
 * delivery_attempts), or a new one is queued if there was none. One invitation message per channel.
 * A staff member's act for one respondent: ahead of any blast (priority). */
export function requeueInvitationMessage(db: Db, invitationId: number, channel: Channel, nowMs: number, nowIso: string): void {
  const requeued = statement(
    db,
    `UPDATE messages
        SET state = 'queued', priority = 1, attempts = 0, next_attempt_at = ?, lease_until = NULL, provider_id = NULL, provider_status = NULL,
            error_code = NULL, last_error = NULL, sent_at = NULL, updated_at = ?
      WHERE invitation_id = ? AND channel = ? AND kind = 'invitation'`,
  ).run(nowMs, nowIso, invitationId, channel).changes;
  if (requeued === 0) queueMessage(db, { invitationId, channel, kind: 'invitation', priority: true }, nowMs, nowIso);
}

/** Puts back in the queue the messages of an invitation that were cancelled for `reason` (a
 * withdrawal undone): due now, ahead of any blast, since a staff member put this one respondent back. */
export function restoreCancelledMessages(db: Db, invitationId: number, reason: string, nowMs: number, nowIso: string): number {
  return statement(
    db,
    `UPDATE messages SET state = 'queued', priority = 1, last_error = NULL, next_attempt_at = ?, updated_at = ?
      WHERE invitation_id = ? AND state = 'cancelled' AND last_error = ?`,
  ).run(nowMs, nowIso, invitationId, reason).changes;
}

/** Queued messages of an invitation are not sent once it is completed or opted out. */
export function cancelPendingMessages(db: Db, invitationId: number, reason: string, nowIso: string): number {
  return statement(
    db,
    `UPDATE messages SET state = 'cancelled', last_error = ?, updated_at = ?, lease_until = NULL
      WHERE invitation_id = ? AND state = 'queued'`,
  ).run(reason, nowIso, invitationId).changes;
}

/** Per invitation, the best state its messages reached (5 delivered, 4 sent, 3 queued or sending,
 * 2 bounced, 1 failed, 0 cancelled) and how many messages it has: the base of every delivery count.
 * Only the invitations of the scope asked for are grouped (a survey; or one agency in it, by id or
 * code), not every message of the database: the CTE's parameters come first, in that order. */
export type DeliveryScope = 'survey' | 'agency' | 'agencyCode';

/** Whether invitation `i` ever had a message, and whether its link may have been seen (a message
 * left or is leaving, or the link was opened): what decides how its contact is corrected
 * (contactCorrection.ts, correctionMode), the same on the list and on the form. */
export const EVER_MESSAGED = `EXISTS (SELECT 1 FROM messages m WHERE m.invitation_id = i.id)`;
export const LINK_MAY_BE_SEEN = `(i.opened_at IS NOT NULL OR EXISTS (SELECT 1 FROM messages m WHERE m.invitation_id = i.id AND m.state IN ('sending', 'sent', 'delivered')))`;

/** The error of the latest message of invitation `i` (a scalar subquery), for staff correcting its contact. */
export const LATEST_MESSAGE_ERROR = `(SELECT m.last_error FROM messages m WHERE m.invitation_id = i.id ORDER BY m.updated_at DESC, m.id DESC LIMIT 1)`;

/** The best state among messages `m` (an aggregate), on the scale above. */
export const BEST_DELIVERY_STATE = `MAX(CASE m.state WHEN 'delivered' THEN 5 WHEN 'sent' THEN 4 WHEN 'queued' THEN 3 WHEN 'sending' THEN 3
                          WHEN 'bounced' THEN 2 WHEN 'failed' THEN 1 ELSE 0 END)`;
export function deliveryStateCte(scope: DeliveryScope): string {
  const from = {
    // read in the messages' invitation order (no sort for the GROUP BY), keeping the survey's
    survey: `FROM messages m
   WHERE m.invitation_id IN (SELECT id FROM invitations WHERE survey_id = ?)`,
    agency: `FROM respondents sr JOIN invitations si ON si.respondent_id = sr.id JOIN messages m ON m.invitation_id = si.id
   WHERE sr.survey_id = ? AND sr.agency_id = ?`,
    agencyCode: `FROM agencies sa JOIN respondents sr ON sr.agency_id = sa.id JOIN invitations si ON si.respondent_id = sr.id JOIN messages m ON m.invitation_id = si.id
   WHERE sr.survey_id = ? AND sa.code = ?`,
  }[scope];
  return `WITH delivery AS (
  SELECT m.invitation_id,
         ${BEST_DELIVERY_STATE} AS best,
         COUNT(*) AS messages
    ${from}
   GROUP BY m.invitation_id)`;
}
