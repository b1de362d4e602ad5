import { BEST_DELIVERY_STATE, deliveryStateCte, EVER_MESSAGED, LATEST_MESSAGE_ERROR, LINK_MAY_BE_SEEN } from '../invitations/outboxStore.js';
import type { Channel } from '../invitations/outboxStore.js';
import type { Reader } from '../platform/readerThread.js';
import type { OutboxSummary } from './deliveryProgress.js';

/** Counts for the monitoring dashboard, from invitations and messages only: never from answers. */
export interface FunnelCounts {
  respondents: number;
  invited: number;
  delivered: number;
  failed: number;
  bounced: number;
  optedOut: number;
  opened: number;
  started: number;
  completed: number;
  /** invited, and none of their messages has left yet (queued, or waiting for a retry) */
  waiting: number;
}

export interface AgencyGroupRow extends FunnelCounts {
  /** withdrawn from the sample: in none of the other counts */
  withdrawn: number;
  agencyCode: string;
  agencyName: string;
  kind: string;
  parentCode: string | null;
  group: string;
}

// invited: an invitation was queued for them (even one cancelled by an opt-out before it left), or
// they answered through a link handed out by other means
const FUNNEL = `COUNT(*) AS respondents,
       SUM(IFNULL(d.messages, 0) > 0 OR i.status = 'completed') AS invited,
       SUM(IFNULL(d.best, 0) = 5) AS delivered,
       SUM(IFNULL(d.best, 0) = 1) AS failed,
       SUM(IFNULL(d.best, 0) = 2) AS bounced,
       SUM(IFNULL(d.best, 0) = 3) AS waiting,
       SUM(i.opted_out_at IS NOT NULL) AS optedOut,
       SUM(i.opened_at IS NOT NULL) AS opened,
       SUM(i.started_at IS NOT NULL) AS started,
       SUM(i.status = 'completed') AS completed`;

/** All agencies, or one: its own SQL text, so that SQLite starts from that agency and its
 * respondents (an "(? IS NULL OR code = ?)" condition would scan every invitation of the survey).
 * The funnel counts leave respondents withdrawn from the sample out; how many were withdrawn is
 * counted beside them (`withdrawn`), so that inspectors see an agency shrinking its own sample. A
 * group whose every respondent was withdrawn still has its row, with zeros. */
export async function agencyGroupCounts(reader: Reader, surveyId: number, agencyCode: string | null = null): Promise<AgencyGroupRow[]> {
  const agencyCondition = agencyCode === null ? '' : ' AND r.survey_id = ? AND a.code = ?';
  const [counted, withdrawnRows] = await Promise.all([
    reader.all<Omit<AgencyGroupRow, 'withdrawn'>>(
      `${deliveryStateCte(agencyCode === null ? 'survey' : 'agencyCode')}
     SELECT a.code AS agencyCode, a.name AS agencyName, a.kind, p.code AS parentCode, r.group_code AS "group", ${FUNNEL}
       FROM invitations i
       JOIN respondents r ON r.id = i.respondent_id
       JOIN agencies a ON a.id = r.agency_id
       LEFT JOIN agencies p ON p.id = a.parent_id
       LEFT JOIN delivery d ON d.invitation_id = i.id
      WHERE i.survey_id = ? AND i.withdrawn_at IS NULL${agencyCondition}
      GROUP BY a.id, r.group_code
      ORDER BY a.code, r.group_code`,
      agencyCode === null ? [surveyId, surveyId] : [surveyId, agencyCode, surveyId, surveyId, agencyCode],
    ),
    // few rows, through the partial index of migration 010
    reader.all<Pick<AgencyGroupRow, 'agencyCode' | 'agencyName' | 'kind' | 'parentCode' | 'group' | 'withdrawn'>>(
      `SELECT a.code AS agencyCode, a.name AS agencyName, a.kind, p.code AS parentCode, r.group_code AS "group", COUNT(*) AS withdrawn
         FROM invitations i
         JOIN respondents r ON r.id = i.respondent_id
         JOIN agencies a ON a.id = r.agency_id
         LEFT JOIN agencies p ON p.id = a.parent_id
        WHERE i.survey_id = ? AND i.withdrawn_at IS NOT NULL${agencyCondition}
        GROUP BY a.id, r.group_code`,
      agencyCode === null ? [surveyId] : [surveyId, surveyId, agencyCode],
    ),
  ]);
  const keyOf = (row: { agencyCode: string; group: string }) => `${row.agencyCode}\u0000${row.group}`;
  const rows = new Map(counted.map((row) => [keyOf(row), { ...row, withdrawn: 0 }]));
  const none: FunnelCounts = { respondents: 0, invited: 0, delivered: 0, failed: 0, bounced: 0, optedOut: 0, opened: 0, started: 0, completed: 0, waiting: 0 };
  for (const withdrawn of withdrawnRows) {
    const row = rows.get(keyOf(withdrawn));
    if (row) row.withdrawn = withdrawn.withdrawn;
    else rows.set(keyOf(withdrawn), { ...none, ...withdrawn });
  }
  return [...rows.values()].sort((a, b) => (a.agencyCode < b.agencyCode ? -1 : a.agencyCode > b.agencyCode ? 1 : a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
}

/** The whole outbox (every survey: the dispatcher drains them together), through the index of
 * due messages: how many wait per channel, how many of those are due now, and when a message was
 * last claimed. */
export async function outboxSummary(reader: Reader, nowMs: number): Promise<OutboxSummary> {
  const [pendingRows, lastAttempt] = await Promise.all([
    reader.all<{ channel: Channel; pending: number; due: number }>(
      `SELECT channel, COUNT(*) AS pending, SUM(next_attempt_at <= ?) AS due
         FROM messages WHERE channel IN ('email', 'whatsapp') AND state IN ('queued', 'sending')
        GROUP BY channel`,
      [nowMs],
    ),
    reader.all<{ at: number | null }>(
      `SELECT MAX(at) AS at FROM (SELECT MAX(attempted_at) AS at FROM delivery_attempts WHERE channel = 'email'
                                 UNION ALL SELECT MAX(attempted_at) FROM delivery_attempts WHERE channel = 'whatsapp')`,
      [],
    ),
  ]);
  const summary: OutboxSummary = { pending: { email: 0, whatsapp: 0 }, due: { email: 0, whatsapp: 0 }, lastAttemptMs: lastAttempt[0]?.at ?? null };
  for (const row of pendingRows) {
    summary.pending[row.channel] = row.pending;
    summary.due[row.channel] = row.due;
  }
  return summary;
}

export function unitCounts(reader: Reader, surveyId: number, agencyId: number): Promise<(FunnelCounts & { unit: string | null })[]> {
  return reader.all<FunnelCounts & { unit: string | null }>(
    `${deliveryStateCte('agency')}
     SELECT u.name AS unit, ${FUNNEL}
       FROM invitations i
       JOIN respondents r ON r.id = i.respondent_id
       LEFT JOIN agency_units u ON u.id = r.unit_id
       LEFT JOIN delivery d ON d.invitation_id = i.id
      WHERE r.survey_id = ? AND r.agency_id = ? AND i.withdrawn_at IS NULL
      GROUP BY r.unit_id
      ORDER BY u.name IS NULL, u.name`,
    [surveyId, agencyId, surveyId, agencyId],
  );
}

export function completionsPerDay(reader: Reader, surveyId: number, agencyId: number): Promise<{ day: string; completed: number }[]> {
  return reader.all<{ day: string; completed: number }>(
    `SELECT i.completed_on AS day, COUNT(*) AS completed
       FROM invitations i JOIN respondents r ON r.id = i.respondent_id
      WHERE r.survey_id = ? AND r.agency_id = ? AND i.completed_on IS NOT NULL
      GROUP BY i.completed_on ORDER BY i.completed_on`,
    [surveyId, agencyId],
  );
}

export interface NonResponder {
  respondentId: number;
  name: string;
  group: string;
  unit: string | null;
  email: string | null;
  phone: string | null;
  delivery: string;
  reminders: number;
  optedOut: boolean;
  opened: boolean;
  /** a message was ever queued; one left or the link was opened (what correctionMode reads) */
  messaged: boolean;
  linkSeen: boolean;
  /** the error of the invitation's latest message, if it has one */
  lastError: string | null;
}

/** Which non-responders a page lists: all, or only those whose every message failed or bounced
 * (the contacts to correct, among tens of thousands at the start of a round). */
export type NonResponderFilter = 'all' | 'undelivered';

// the best state of the invitation's messages is failed (1) or bounced (2); a parameter turns it off
const UNDELIVERED_CONDITION = `(? = 'all' OR (SELECT ${BEST_DELIVERY_STATE} FROM messages m WHERE m.invitation_id = i.id) IN (1, 2))`;
// a name or email containing the search, or a phone containing its digits; '' turns it off
const SEARCH_CONDITION = `(? = '' OR r.name LIKE ? ESCAPE '\\' OR r.email LIKE ? ESCAPE '\\' OR r.phone LIKE ? ESCAPE '\\')`;

/** The parameters of SEARCH_CONDITION for what a staff member typed: a phone typed as 0812 3456
 * or 62812… finds the +62812… stored (respondents/phone.ts). */
function searchParameters(search: string): string[] {
  const typed = search.trim();
  if (typed === '') return ['', '', '', ''];
  const contains = (text: string) => `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
  const digits = typed.replace(/[\s().\-/]/g, '');
  const phone = /^\+?\d+$/.test(digits) ? digits.replace(/^0/, '+62').replace(/^62/, '+62') : typed;
  return [typed, contains(typed), contains(typed), contains(phone)];
}

/** How many of an agency's respondents have not answered yet. */
export async function countNonResponders(reader: Reader, surveyId: number, agencyId: number, filter: NonResponderFilter = 'all', search = ''): Promise<number> {
  const [row] = await reader.all<{ count: number }>(
    `SELECT COUNT(*) AS count FROM invitations i JOIN respondents r ON r.id = i.respondent_id
      WHERE r.survey_id = ? AND r.agency_id = ? AND i.status <> 'completed' AND i.withdrawn_at IS NULL AND ${UNDELIVERED_CONDITION} AND ${SEARCH_CONDITION}`,
    [surveyId, agencyId, filter, ...searchParameters(search)],
  );
  return row!.count;
}

/** Who has not answered yet, for the liaison to chase: names and channels, never answers. One
 * page at a time: a large ministry has tens of thousands at the start of a round. The page is
 * chosen first, so that delivery states and reminder counts are looked up for its rows only. */
export async function nonResponders(reader: Reader, surveyId: number, agencyId: number, page: { limit: number; offset: number }, filter: NonResponderFilter = 'all', search = ''): Promise<NonResponder[]> {
  const rows = await reader.all<Omit<NonResponder, 'optedOut' | 'opened' | 'messaged' | 'linkSeen'> & { optedOut: number; opened: number; messaged: number; linkSeen: number }>(
    `WITH shown AS (
       SELECT i.id AS invitation_id
         FROM invitations i
         JOIN respondents r ON r.id = i.respondent_id
         LEFT JOIN agency_units u ON u.id = r.unit_id
        WHERE r.survey_id = ? AND r.agency_id = ? AND i.status <> 'completed' AND i.withdrawn_at IS NULL AND ${UNDELIVERED_CONDITION} AND ${SEARCH_CONDITION}
        ORDER BY r.group_code, u.name, r.name, r.id
        LIMIT ? OFFSET ?)
     SELECT r.id AS respondentId, r.name, r.group_code AS "group", u.name AS unit, r.email, r.phone,
            CASE IFNULL((SELECT ${BEST_DELIVERY_STATE} FROM messages m WHERE m.invitation_id = i.id), 0)
              WHEN 5 THEN 'delivered' WHEN 4 THEN 'sent' WHEN 3 THEN 'queued' WHEN 2 THEN 'bounced' WHEN 1 THEN 'failed' ELSE 'not_invited' END AS delivery,
            (SELECT COUNT(*) FROM messages m WHERE m.invitation_id = i.id AND m.kind = 'reminder' AND m.state IN ('sent', 'delivered')) AS reminders,
            i.opted_out_at IS NOT NULL AS optedOut, i.opened_at IS NOT NULL AS opened,
            ${EVER_MESSAGED} AS messaged, ${LINK_MAY_BE_SEEN} AS linkSeen,
            ${LATEST_MESSAGE_ERROR} AS lastError
       FROM shown s
       JOIN invitations i ON i.id = s.invitation_id
       JOIN respondents r ON r.id = i.respondent_id
       LEFT JOIN agency_units u ON u.id = r.unit_id
      ORDER BY r.group_code, u.name, r.name, r.id`,
    [surveyId, agencyId, filter, ...searchParameters(search), page.limit, page.offset],
  );
  return rows.map((row) => ({ ...row, optedOut: row.optedOut === 1, opened: row.opened === 1, messaged: row.messaged === 1, linkSeen: row.linkSeen === 1 }));
}

export interface WithdrawnRespondent {
  respondentId: number;
  name: string;
  group: string;
  unit: string | null;
  reason: string;
  withdrawnAt: string;
}

/** Respondents withdrawn from an agency's sample, the latest first, at most `limit` (how many in
 * all is agencyGroupCounts' `withdrawn`). */
export function withdrawnRespondents(reader: Reader, surveyId: number, agencyId: number, limit: number): Promise<WithdrawnRespondent[]> {
  return reader.all<WithdrawnRespondent>(
    `SELECT r.id AS respondentId, r.name, r.group_code AS "group", u.name AS unit, i.withdrawn_reason AS reason, i.withdrawn_at AS withdrawnAt
       FROM invitations i
       JOIN respondents r ON r.id = i.respondent_id
       LEFT JOIN agency_units u ON u.id = r.unit_id
      WHERE i.survey_id = ? AND i.withdrawn_at IS NOT NULL AND r.agency_id = ?
      ORDER BY i.withdrawn_at DESC, r.id
      LIMIT ?`,
    [surveyId, agencyId, limit],
  );
}
