import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Clock } from '../platform/clock.js';
import { statement, type Db } from '../platform/db.js';
import { InputError } from '../platform/errors.js';
import { requireSurvey } from '../surveys/service.js';
import { listSurveys } from '../surveys/store.js';
import { cancelPendingMessages, deliveryStateCte, queueMessage, type Channel } from './outboxStore.js';
import { findInvitationIdsByPhone, setOptedOut } from './store.js';

/** Who gets what: invitations, reminders, opt-outs, and the delivery counts. */

export interface SendFilter {
  surveyCode: string;
  agencyCode?: string;
  groupCode?: string;
}

/** A message queued (or, in a dry run, that would be): for whom and on which channel. */
export interface PlannedMessage {
  invitationId: number;
  channel: Channel;
}

export interface QueueInvitationsResult {
  queued: { email: number; whatsapp: number };
  /** the queued messages by their agency's time zone (null: none, the default zone), for when they are sent */
  queuedByZone: Map<string | null, number>;
  alreadyInvited: number;
  skipped: { noContactForChannel: number; optedOut: number; completed: number };
}

interface Candidate {
  invitationId: number;
  email: string | null;
  phone: string | null;
  status: string;
  optedOutAt: string | null;
  timeZone: string | null;
  invited: number;
}

/** The survey's invitations with ids in [fromId, toId] (one batch; see inBatches). */
function candidates(db: Db, surveyId: number, filter: SendFilter, fromId: number, toId: number): Candidate[] {
  return statement(
    db,
    `SELECT i.id AS invitationId, r.email, r.phone, i.status, i.opted_out_at AS optedOutAt, a.time_zone AS timeZone,
            EXISTS (SELECT 1 FROM messages m WHERE m.invitation_id = i.id AND m.kind = 'invitation') AS invited
       FROM invitations i
       JOIN respondents r ON r.id = i.respondent_id
       JOIN agencies a ON a.id = r.agency_id
      WHERE +i.survey_id = ? AND i.id BETWEEN ? AND ? AND i.withdrawn_at IS NULL AND (? IS NULL OR a.code = ?) AND (? IS NULL OR r.group_code = ?)
      ORDER BY i.id`,
  ).all(surveyId, fromId, toId, filter.agencyCode ?? null, filter.agencyCode ?? null, filter.groupCode ?? null, filter.groupCode ?? null) as Candidate[];
}

/** Invitation ids looked at in one transaction, between two turns of the event loop. */
const INVITATIONS_PER_BATCH = 2000;

/**
 * Goes over a survey's invitations in ranges of 2,000 ids, one transaction each, with a turn of the
 * event loop between two, so that respondents are still answered while a national round (hundreds of
 * thousands of invitations, about 0.5-0.8 s per 100,000 on the server's only thread) is worked
 * through. A range, not a number of matches: a batch never looks at more than 2,000 invitations,
 * however few of them match. The queries say `+i.survey_id` to keep SQLite on the id range rather
 * than the survey index, which would read and sort the whole survey for every batch. Invitations
 * added meanwhile, past the last id, wait for the next run. For one agency (a liaison's page), the
 * ranges span only that agency's invitation ids: its respondents usually came in one file, so a
 * few batches instead of every batch of the national round.
 */
async function inBatches(db: Db, surveyId: number, agencyCode: string | undefined, batch: (fromId: number, toId: number) => void): Promise<void> {
  const ids = (
    agencyCode === undefined
      ? statement(db, 'SELECT MIN(id) AS first, MAX(id) AS last FROM invitations WHERE survey_id = ?').get(surveyId)
      : statement(
          db,
          `SELECT MIN(i.id) AS first, MAX(i.id) AS last
             FROM agencies a JOIN respondents r ON r.survey_id = ? AND r.agency_id = a.id JOIN invitations i ON i.respondent_id = r.id
            WHERE a.code = ?`,
        ).get(surveyId, agencyCode)
  ) as { first: number | null; last: number | null };
  if (ids.first === null || ids.last === null) return;
  const inTransaction = db.transaction(batch);
  for (let fromId = ids.first; fromId <= ids.last; fromId += INVITATIONS_PER_BATCH) {
    inTransaction(fromId, fromId + INVITATIONS_PER_BATCH - 1);
    await nextTurn();
  }
}

export function requireOpenForSending(db: Db, surveyCode: string) {
  const survey = requireSurvey(db, surveyCode);
  if (survey.status !== 'open') throw new InputError(`Survey ${survey.code} is ${survey.status}: messages are only sent while it is open.`);
  return survey;
}

/** The channel an invitation goes on when none is asked for: WhatsApp when the respondent has a
 * phone and WhatsApp is configured (or they have no email), else email; null without a contact. */
export function automaticChannel(contact: { email: string | null; phone: string | null }, whatsappConfigured: boolean): Channel | null {
  if (contact.phone && (whatsappConfigured || !contact.email)) return 'whatsapp';
  return contact.email ? 'email' : null;
}

/** Queues an invitation for every respondent not yet invited (running it twice adds nothing).
 * Channel: the one asked for, or WhatsApp when the respondent has a phone and WhatsApp is
 * configured (or they have no email), else email. In batches (inBatches), each whole: should the
 * process stop half-way, running it again queues the rest (and never a second invitation). */
export async function queueInvitations(db: Db, clock: Clock, filter: SendFilter & { channel?: Channel; dryRun?: boolean }, whatsappConfigured: boolean): Promise<QueueInvitationsResult & { first?: PlannedMessage }> {
  const survey = requireOpenForSending(db, filter.surveyCode);
  const result: QueueInvitationsResult = { queued: { email: 0, whatsapp: 0 }, queuedByZone: new Map(), alreadyInvited: 0, skipped: { noContactForChannel: 0, optedOut: 0, completed: 0 } };
  const now = clock.now();
  let first: PlannedMessage | undefined;
  await inBatches(db, survey.id, filter.agencyCode, (fromId, toId) => {
    for (const candidate of candidates(db, survey.id, filter, fromId, toId)) {
      if (candidate.invited) result.alreadyInvited++;
      else if (candidate.status === 'completed') result.skipped.completed++;
      else if (candidate.optedOutAt) result.skipped.optedOut++;
      else {
        const channel: Channel | null = filter.channel
          ? (filter.channel === 'email' ? candidate.email : candidate.phone)
            ? filter.channel
            : null
          : automaticChannel(candidate, whatsappConfigured);
        if (channel === null) result.skipped.noContactForChannel++;
        // a dry run counts what would be queued (for the confirmation step) and writes nothing
        else if (filter.dryRun || queueMessage(db, { invitationId: candidate.invitationId, channel, kind: 'invitation' }, now.getTime(), now.toISOString())) {
          result.queued[channel]++;
          result.queuedByZone.set(candidate.timeZone, (result.queuedByZone.get(candidate.timeZone) ?? 0) + 1);
          first ??= { invitationId: candidate.invitationId, channel };
        }
      }
    }
  });
  return { ...result, first };
}

export interface ReminderOptions extends SendFilter {
  minDays: number;
  max: number;
}

interface ReminderCandidate {
  invitationId: number;
  lastChannel: Channel;
  lastMessageAt: string;
  firstSentAt: string;
  reminders: number;
}

/** Invited (a message went out), not submitted, not opted out, nothing pending; ids in [fromId, toId]. */
function reminderCandidates(db: Db, surveyId: number, filter: SendFilter, fromId: number, toId: number): ReminderCandidate[] {
  return statement(
    db,
    `SELECT i.id AS invitationId,
            (SELECT m.channel FROM messages m WHERE m.invitation_id = i.id AND m.state IN ('sent', 'delivered') ORDER BY m.id DESC LIMIT 1) AS lastChannel,
            (SELECT MAX(m.created_at) FROM messages m WHERE m.invitation_id = i.id AND m.state <> 'cancelled') AS lastMessageAt,
            (SELECT MIN(m.sent_at) FROM messages m WHERE m.invitation_id = i.id AND m.state IN ('sent', 'delivered')) AS firstSentAt,
            (SELECT COUNT(*) FROM messages m WHERE m.invitation_id = i.id AND m.kind = 'reminder' AND m.state NOT IN ('cancelled', 'failed', 'bounced')) AS reminders
       FROM invitations i
       JOIN respondents r ON r.id = i.respondent_id
       JOIN agencies a ON a.id = r.agency_id
      WHERE +i.survey_id = ? AND i.id BETWEEN ? AND ? AND i.status <> 'completed' AND i.opted_out_at IS NULL AND i.withdrawn_at IS NULL
        AND (? IS NULL OR a.code = ?) AND (? IS NULL OR r.group_code = ?)
        AND EXISTS (SELECT 1 FROM messages m WHERE m.invitation_id = i.id AND m.state IN ('sent', 'delivered'))
        AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.invitation_id = i.id AND m.state IN ('queued', 'sending'))
      ORDER BY i.id`,
  ).all(surveyId, fromId, toId, filter.agencyCode ?? null, filter.agencyCode ?? null, filter.groupCode ?? null, filter.groupCode ?? null) as ReminderCandidate[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Queues reminders: at least minDays after the respondent's last message, at most max in all,
 * on the channel that last reached them. */
export async function queueReminders(db: Db, clock: Clock, options: ReminderOptions & { dryRun?: boolean }): Promise<{ queued: number; planned: PlannedMessage[] }> {
  const survey = requireOpenForSending(db, options.surveyCode);
  const now = clock.now();
  const planned: PlannedMessage[] = [];
  await inBatches(db, survey.id, options.agencyCode, (fromId, toId) => {
    for (const candidate of reminderCandidates(db, survey.id, options, fromId, toId)) {
      if (candidate.reminders >= options.max) continue;
      if (now.getTime() - Date.parse(candidate.lastMessageAt) < options.minDays * DAY_MS) continue;
      // a dry run counts who would get one (for the confirmation step) and writes nothing
      if (options.dryRun || queueMessage(db, { invitationId: candidate.invitationId, channel: candidate.lastChannel, kind: 'reminder' }, now.getTime(), now.toISOString())) {
        planned.push({ invitationId: candidate.invitationId, channel: candidate.lastChannel });
      }
    }
  });
  return { queued: options.dryRun ? 0 : planned.length, planned };
}

/** The surveys' own reminder schedules ("afterDays": days after the invitation went out),
 * applied by the dispatcher every minute, in batches (inBatches). Returns how many reminders it queued. */
export async function applyReminderSchedules(db: Db, clock: Clock): Promise<number> {
  const now = clock.now();
  let queued = 0;
  for (const survey of listSurveys(db)) {
    const schedule = survey.definition.reminderSchedule;
    if (survey.status !== 'open' || !schedule) continue;
    await inBatches(db, survey.id, undefined, (fromId, toId) => {
      for (const candidate of reminderCandidates(db, survey.id, { surveyCode: survey.code }, fromId, toId)) {
        const nextDay = schedule.afterDays[candidate.reminders];
        if (nextDay === undefined) continue;
        if (now.getTime() - Date.parse(candidate.firstSentAt) < nextDay * DAY_MS) continue;
        if (queueMessage(db, { invitationId: candidate.invitationId, channel: candidate.lastChannel, kind: 'reminder' }, now.getTime(), now.toISOString())) queued++;
      }
    });
  }
  return queued;
}

/** The dispatcher's hook between its rounds (every few seconds): the reminder schedules are applied
 * at most once a minute by the clock, since each application looks over every open survey. */
export function scheduledReminders(db: Db, clock: Clock, onQueued?: (queued: number) => void): () => Promise<void> {
  let lastRunMs = Number.NEGATIVE_INFINITY;
  return async () => {
    const nowMs = clock.now().getTime();
    if (nowMs - lastRunMs < 60_000) return;
    lastRunMs = nowMs;
    const queued = await applyReminderSchedules(db, clock);
    if (queued > 0) onQueued?.(queued);
  };
}

/** No further message on any channel; what is queued is cancelled. */
export function optOutInvitation(db: Db, clock: Clock, invitationId: number): boolean {
  const nowIso = clock.now().toISOString();
  return db.transaction(() => {
    const changed = setOptedOut(db, invitationId, nowIso);
    cancelPendingMessages(db, invitationId, 'the respondent opted out', nowIso);
    return changed;
  })();
}

/** A STOP reply on WhatsApp opts out every invitation of open surveys reachable at that number. */
export function optOutPhone(db: Db, clock: Clock, phone: string): number {
  return db.transaction(() => findInvitationIdsByPhone(db, phone).filter((invitationId) => optOutInvitation(db, clock, invitationId)).length)();
}

export interface StatusRow {
  agency: string;
  group: string;
  respondents: number;
  queued: number;
  sent: number;
  delivered: number;
  failed: number;
  bounced: number;
  optedOut: number;
  opened: number;
  started: number;
  completed: number;
}

/** Counts per agency × group. An invitation's delivery state is the best its messages reached:
 * delivered, else sent, else queued, else bounced, else failed. */
export function invitationStatus(db: Db, surveyCode: string): StatusRow[] {
  const survey = requireSurvey(db, surveyCode);
  return statement(
    db,
    `${deliveryStateCte('survey')}
     SELECT a.code AS agency, r.group_code AS "group", COUNT(*) AS respondents,
            SUM(IFNULL(d.best, 0) = 3) AS queued, SUM(IFNULL(d.best, 0) = 4) AS sent, SUM(IFNULL(d.best, 0) = 5) AS delivered,
            SUM(IFNULL(d.best, 0) = 1) AS failed, SUM(IFNULL(d.best, 0) = 2) AS bounced,
            SUM(i.opted_out_at IS NOT NULL) AS optedOut,
            SUM(i.opened_at IS NOT NULL) AS opened, SUM(i.started_at IS NOT NULL) AS started,
            SUM(i.status = 'completed') AS completed
       FROM invitations i
       JOIN respondents r ON r.id = i.respondent_id
       JOIN agencies a ON a.id = r.agency_id
       LEFT JOIN delivery d ON d.invitation_id = i.id
      WHERE i.survey_id = ? AND i.withdrawn_at IS NULL
      GROUP BY a.code, r.group_code
      ORDER BY a.code, r.group_code`,
  ).all(survey.id, survey.id) as StatusRow[];
}
