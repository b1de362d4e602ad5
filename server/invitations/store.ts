import { statement, type Db } from '../platform/db.js';
import { EVER_MESSAGED, LATEST_MESSAGE_ERROR, LINK_MAY_BE_SEEN } from './outboxStore.js';

export type InvitationStatus = 'new' | 'opened' | 'in_progress' | 'completed';

/** One invitation for each respondent an import staged (`respondents/store.ts`), whose ids are
 * `firstRespondentId - 1 + seq`; call in the transaction that inserted those respondents. */
export function insertStagedInvitations(db: Db, staging: { table: string }, surveyId: number, firstRespondentId: number): void {
  db.prepare(
    `INSERT INTO invitations (respondent_id, survey_id, token_seed, token_hash, language)
     SELECT ? - 1 + seq, ?, token_seed, token_hash, language FROM ${staging.table} ORDER BY seq`,
  ).run(firstRespondentId, surveyId);
}

export interface LinkRow {
  agencyCode: string;
  unit: string | null;
  groupCode: string;
  name: string;
  email: string | null;
  phone: string | null;
  tokenSeed: string;
}

/** Respondents with their invitation's seed, for `links export`; streamed, a national round is large. */
export function iterateLinkRows(db: Db, surveyId: number, filter: { agencyCode?: string; groupCode?: string }): IterableIterator<LinkRow> {
  return statement(
    db,
    `SELECT a.code AS agencyCode, u.name AS unit, r.group_code AS groupCode, r.name, r.email, r.phone, i.token_seed AS tokenSeed
       FROM invitations i
       JOIN respondents r ON r.id = i.respondent_id
       JOIN agencies a ON a.id = r.agency_id
       LEFT JOIN agency_units u ON u.id = r.unit_id
      WHERE i.survey_id = ? AND i.withdrawn_at IS NULL
        AND (? IS NULL OR a.code = ?)
        AND (? IS NULL OR r.group_code = ?)
      ORDER BY a.code, r.group_code, r.id`,
  ).iterate(surveyId, filter.agencyCode ?? null, filter.agencyCode ?? null, filter.groupCode ?? null, filter.groupCode ?? null) as IterableIterator<LinkRow>;
}

interface RecipientRow {
  invitationId: number;
  tokenSeed: string;
  status: InvitationStatus;
  optedOutAt: string | null;
  withdrawnAt: string | null;
  invitationLanguage: string | null;
  respondentLanguage: string;
  name: string;
  email: string | null;
  phone: string | null;
  agencyName: string;
  surveyId: number;
}

/** The recipient of a message, read when it is sent. */
export function findRecipient(db: Db, invitationId: number): RecipientRow | undefined {
  return statement(
    db,
    `SELECT i.id AS invitationId, i.token_seed AS tokenSeed, i.status, i.opted_out_at AS optedOutAt, i.withdrawn_at AS withdrawnAt, i.language AS invitationLanguage,
            r.language AS respondentLanguage, r.name, r.email, r.phone, a.name AS agencyName, i.survey_id AS surveyId
       FROM invitations i
       JOIN respondents r ON r.id = i.respondent_id
       JOIN agencies a ON a.id = r.agency_id
      WHERE i.id = ?`,
  ).get(invitationId) as RecipientRow | undefined;
}

export function setOptedOut(db: Db, invitationId: number, nowIso: string): boolean {
  return statement(db, 'UPDATE invitations SET opted_out_at = ? WHERE id = ? AND opted_out_at IS NULL').run(nowIso, invitationId).changes === 1;
}

/** Invitations of open surveys reachable at this phone number (for WhatsApp STOP replies). */
export function findInvitationIdsByPhone(db: Db, phone: string): number[] {
  return statement(db, INVITATIONS_BY_PHONE_SQL).pluck().all(phone) as number[];
}

/** Phone numbers are indexed per survey and agency only (respondents_phone_unique), and a STOP
 * reply names no agency. The CROSS JOINs fix the order so that SQLite seeks that index once per
 * survey and agency (about 600 seeks, under a millisecond) instead of reading all of it (20–30 ms
 * at 320,000 respondents); another index would slow every import. */
export const INVITATIONS_BY_PHONE_SQL = `SELECT i.id FROM surveys s CROSS JOIN agencies a CROSS JOIN respondents r CROSS JOIN invitations i
  WHERE s.status <> 'closed' AND r.survey_id = s.id AND r.agency_id = a.id AND r.phone = ? AND i.respondent_id = r.id`;

/** Any invitation by its token, whatever its state (opt-out works after submission too). */
export function findInvitationByToken(db: Db, tokenHash: Buffer): { id: number; surveyId: number; language: string } | undefined {
  return statement(
    db,
    `SELECT i.id, i.survey_id AS surveyId, COALESCE(i.language, r.language) AS language
       FROM invitations i JOIN respondents r ON r.id = i.respondent_id WHERE i.token_hash = ?`,
  ).get(tokenHash) as { id: number; surveyId: number; language: string } | undefined;
}

/** A respondent of an agency as the contact correction sees them: their contact, their
 * invitation's state, whether it has any message, whether its link may have been seen (a message
 * left, or the link was opened) and the error of the latest message. */
export interface ContactRecord {
  respondentId: number;
  invitationId: number;
  name: string;
  groupCode: string;
  email: string | null;
  phone: string | null;
  status: InvitationStatus;
  optedOut: boolean;
  withdrawn: boolean;
  messaged: boolean;
  linkSeen: boolean;
  lastError: string | null;
}

export function findContactRecord(db: Db, surveyId: number, agencyId: number, respondentId: number): ContactRecord | undefined {
  const row = statement(
    db,
    `SELECT r.id AS respondentId, i.id AS invitationId, r.name, r.group_code AS groupCode, r.email, r.phone, i.status,
            i.opted_out_at IS NOT NULL AS optedOut, i.withdrawn_at IS NOT NULL AS withdrawn,
            ${EVER_MESSAGED} AS messaged, ${LINK_MAY_BE_SEEN} AS linkSeen,
            ${LATEST_MESSAGE_ERROR} AS lastError
       FROM respondents r JOIN invitations i ON i.respondent_id = r.id
      WHERE r.id = ? AND r.survey_id = ? AND r.agency_id = ?`,
  ).get(respondentId, surveyId, agencyId) as (Omit<ContactRecord, 'optedOut' | 'withdrawn' | 'messaged' | 'linkSeen'> & { optedOut: number; withdrawn: number; messaged: number; linkSeen: number }) | undefined;
  return row && { ...row, optedOut: row.optedOut === 1, withdrawn: row.withdrawn === 1, messaged: row.messaged === 1, linkSeen: row.linkSeen === 1 };
}

/** Gives an invitation a new token and forgets what its old link did: opened, started, the
 * draft and the language chosen there. Not for a completed invitation (the trigger refuses). */
export function reissueInvitationToken(db: Db, invitationId: number, token: { tokenSeed: string; tokenHash: Buffer }): void {
  statement(
    db,
    `UPDATE invitations
        SET token_seed = ?, token_hash = ?, status = 'new', opened_at = NULL, started_at = NULL, draft_json = NULL, draft_updated_at = NULL, language = NULL
      WHERE id = ? AND status <> 'completed'`,
  ).run(token.tokenSeed, token.tokenHash, invitationId);
}

/** Withdraws an invitation from the sample (migration 010): its link stops working and the draft
 * typed through it is deleted. False when it was answered or already withdrawn. */
export function setWithdrawn(db: Db, invitationId: number, reason: string, nowIso: string): boolean {
  return (
    statement(
      db,
      `UPDATE invitations SET withdrawn_at = ?, withdrawn_reason = ?, draft_json = NULL, draft_updated_at = NULL
        WHERE id = ? AND status <> 'completed' AND withdrawn_at IS NULL`,
    ).run(nowIso, reason, invitationId).changes === 1
  );
}

/** Puts a withdrawn invitation back in the sample; its link works again. */
export function clearWithdrawn(db: Db, invitationId: number): boolean {
  return statement(db, 'UPDATE invitations SET withdrawn_at = NULL, withdrawn_reason = NULL WHERE id = ? AND withdrawn_at IS NOT NULL').run(invitationId).changes === 1;
}

/** The invitation of one respondent added by hand (a staff form; imports insert theirs in bulk). */
export function insertInvitation(db: Db, respondentId: number, surveyId: number, token: { tokenSeed: string; tokenHash: Buffer }, language: string): number {
  return Number(
    statement(db, 'INSERT INTO invitations (respondent_id, survey_id, token_seed, token_hash, language) VALUES (?, ?, ?, ?, ?)').run(respondentId, surveyId, token.tokenSeed, token.tokenHash, language)
      .lastInsertRowid,
  );
}
