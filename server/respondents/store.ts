import type Database from 'better-sqlite3';
import { statement, type Db } from '../platform/db.js';

export interface NewRespondent {
  surveyId: number;
  agencyId: number;
  groupCode: string;
  unitId: number | null;
  name: string;
  email: string | null;
  phone: string | null;
  language: string;
}

export function insertRespondent(db: Db, respondent: NewRespondent, now: string): number {
  return Number(
    statement(
      db,
      `INSERT INTO respondents (survey_id, agency_id, group_code, unit_id, name, email, phone, language, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      respondent.surveyId,
      respondent.agencyId,
      respondent.groupCode,
      respondent.unitId,
      respondent.name,
      respondent.email,
      respondent.phone,
      respondent.language,
      now,
    ).lastInsertRowid,
  );
}

/** One import's checked rows, waiting in a TEMP table of the server's connection until the file is
 * stored whole. Filling it takes no lock on the database (the temp schema is the connection's own),
 * so it goes in small batches between turns of the event loop; storing is then two `INSERT …
 * SELECT` in one transaction, about a third of the time of inserting the rows one call at a time,
 * and that transaction is all the event loop waits for. Columns: `seq` (1, 2, … in file order), the
 * respondent's fields, and the token of their invitation (`invitations/store.ts` reads those). */
export interface StagedRespondent extends Omit<NewRespondent, 'surveyId'> {
  tokenSeed: string;
  tokenHash: Buffer;
}

let stagingTables = 0;

/** One import's staging table and its prepared insert (not in the connection's statement cache:
 * the table is dropped at the end of the import). */
export interface ImportStaging {
  readonly table: string;
  readonly insert: Database.Statement;
}

/** Creates an empty staging table for one import (one per import, so that two imports checking at
 * the same time keep their rows apart); drop it with `dropImportStaging`. */
export function createImportStaging(db: Db): ImportStaging {
  const table = `temp.import_staging_${++stagingTables}`;
  db.exec(`CREATE TABLE ${table} (seq INTEGER PRIMARY KEY, agency_id INTEGER NOT NULL, group_code TEXT NOT NULL, unit_id INTEGER,
    name TEXT NOT NULL, email TEXT, phone TEXT, language TEXT NOT NULL, token_seed TEXT NOT NULL, token_hash BLOB NOT NULL)`);
  const insert = db.prepare(`INSERT INTO ${table} (agency_id, group_code, unit_id, name, email, phone, language, token_seed, token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  return { table, insert };
}

export function stageRespondents(db: Db, staging: ImportStaging, respondents: readonly StagedRespondent[]): void {
  if (respondents.length === 0) return;
  db.transaction(() => {
    for (const row of respondents) staging.insert.run(row.agencyId, row.groupCode, row.unitId, row.name, row.email, row.phone, row.language, row.tokenSeed, row.tokenHash);
  })();
}

/** The id the next respondent gets, as SQLite would choose it; only meaningful inside a write transaction. */
export function nextRespondentId(db: Db): number {
  return statement(db, 'SELECT COALESCE(MAX(id), 0) + 1 FROM respondents').pluck().get() as number;
}

/** Inserts the staged respondents with the ids `firstId - 1 + seq`, in file order; call inside the
 * write transaction that chose `firstId` with `nextRespondentId`. */
export function insertStagedRespondents(db: Db, staging: ImportStaging, surveyId: number, firstId: number, now: string): void {
  db.prepare(
    `INSERT INTO respondents (id, survey_id, agency_id, group_code, unit_id, name, email, phone, language, created_at)
     SELECT ? - 1 + seq, ?, agency_id, group_code, unit_id, name, email, phone, language, ? FROM ${staging.table} ORDER BY seq`,
  ).run(firstId, surveyId, now);
}

export function dropImportStaging(db: Db, staging: ImportStaging): void {
  // a server shutting down may have closed the connection, and its temp tables with it, meanwhile
  if (db.open) db.exec(`DROP TABLE IF EXISTS ${staging.table}`);
}

/** The emails and phones already registered for a survey, keyed by agency id. */
export function listContactKeys(db: Db, surveyId: number): { agencyId: number; email: string | null; phone: string | null }[] {
  return statement(db, 'SELECT agency_id AS agencyId, email, phone FROM respondents WHERE survey_id = ?').all(surveyId) as {
    agencyId: number;
    email: string | null;
    phone: string | null;
  }[];
}

export function countRespondents(db: Db, surveyId: number): number {
  return statement(db, 'SELECT COUNT(*) FROM respondents WHERE survey_id = ?').pluck().get(surveyId) as number;
}

/** Whether another respondent of the agency in the survey already has this email or phone. */
export function contactTakenByAnother(db: Db, respondent: { id: number; surveyId: number; agencyId: number }, field: 'email' | 'phone', value: string): boolean {
  return (
    statement(db, `SELECT 1 FROM respondents WHERE survey_id = ? AND agency_id = ? AND ${field} = ? AND id <> ?`).get(
      respondent.surveyId,
      respondent.agencyId,
      value,
      respondent.id,
    ) !== undefined
  );
}

export function updateRespondentContact(db: Db, respondentId: number, contact: { email: string | null; phone: string | null }): void {
  statement(db, 'UPDATE respondents SET email = ?, phone = ? WHERE id = ?').run(contact.email, contact.phone, respondentId);
}

/** The respondent of an agency and survey with this stored email or phone, if any (both are unique there). */
export function findRespondentIdByContact(db: Db, surveyId: number, agencyId: number, field: 'email' | 'phone', value: string): number | undefined {
  return statement(db, `SELECT id FROM respondents WHERE survey_id = ? AND agency_id = ? AND ${field} = ?`).pluck().get(surveyId, agencyId, value) as number | undefined;
}

// --- erasing a closed round's personal data (erasure.ts) ---

export interface ContactErasure {
  startedAt: string;
  finishedAt: string | null;
  erasedBy: string;
  respondents: number;
}

export function findContactErasure(db: Db, surveyId: number): ContactErasure | undefined {
  return statement(db, 'SELECT started_at AS startedAt, finished_at AS finishedAt, erased_by AS erasedBy, respondents FROM contact_erasures WHERE survey_id = ?').get(surveyId) as
    | ContactErasure
    | undefined;
}

/** What an erasure of the survey would erase, for the confirmation page: its respondents, those
 * whose contacts are still kept, and the drafts of questionnaires never submitted. */
export function erasureScope(db: Db, surveyId: number): { respondents: number; withContact: number; drafts: number } {
  return statement(
    db,
    `SELECT COUNT(*) AS respondents, COUNT(*) FILTER (WHERE r.erased_on IS NULL) AS withContact,
            COUNT(*) FILTER (WHERE i.draft_json IS NOT NULL) AS drafts
       FROM respondents r LEFT JOIN invitations i ON i.respondent_id = r.id
      WHERE r.survey_id = ?`,
  ).get(surveyId) as { respondents: number; withContact: number; drafts: number };
}

/** Records that the erasure starts (or starts again, after an interruption). */
export function startContactErasure(db: Db, surveyId: number, actor: string, nowIso: string): void {
  statement(
    db,
    `INSERT INTO contact_erasures (survey_id, started_at, erased_by) VALUES (?, ?, ?)
     ON CONFLICT (survey_id) DO UPDATE SET started_at = excluded.started_at, erased_by = excluded.erased_by`,
  ).run(surveyId, nowIso, actor);
}

export function finishContactErasure(db: Db, surveyId: number, nowIso: string): void {
  statement(db, 'UPDATE contact_erasures SET finished_at = ?, respondents = (SELECT COUNT(*) FROM respondents WHERE survey_id = ?) WHERE survey_id = ?').run(nowIso, surveyId, surveyId);
}

export function respondentIdRange(db: Db, surveyId: number): { first: number | null; last: number | null } {
  return statement(db, 'SELECT MIN(id) AS first, MAX(id) AS last FROM respondents WHERE survey_id = ?').get(surveyId) as { first: number | null; last: number | null };
}

/** One batch: the respondents with ids in [fromId, toId], their messages' error texts and their
 * drafts; each statement takes (fromId, toId, surveyId). `+survey_id` keeps SQLite on the id
 * ranges: on the survey's index every batch read the whole survey (the plans are tested). */
export const ERASURE_BATCH_SQL = {
  errorTexts: `UPDATE messages SET last_error = NULL
                WHERE last_error IS NOT NULL
                  AND invitation_id IN (SELECT i.id FROM invitations i WHERE i.respondent_id BETWEEN ? AND ? AND +i.survey_id = ?)`,
  drafts: 'UPDATE invitations SET draft_json = NULL, draft_updated_at = NULL WHERE respondent_id BETWEEN ? AND ? AND +survey_id = ? AND draft_json IS NOT NULL',
  respondents: `UPDATE respondents SET name = '', email = NULL, phone = NULL, erased_on = @day
                 WHERE id BETWEEN ? AND ? AND +survey_id = ? AND erased_on IS NULL`,
} as const;

/** Returns how many respondents the batch erased. */
export function eraseRespondentRange(db: Db, surveyId: number, fromId: number, toId: number, day: string): number {
  statement(db, ERASURE_BATCH_SQL.errorTexts).run(fromId, toId, surveyId);
  statement(db, ERASURE_BATCH_SQL.drafts).run(fromId, toId, surveyId);
  return statement(db, ERASURE_BATCH_SQL.respondents).run(fromId, toId, surveyId, { day }).changes;
}

/** The providers' texts of the delivery attempts of the survey's messages. delivery_attempts has no
 * index by message (its reads are by channel and time), so this reads it once, not once per batch,
 * and looks up the survey only of the few attempts with a text (not the whole survey's messages:
 * 250 ms for 100,000 on the server's thread). */
export function eraseAttemptDetails(db: Db, surveyId: number): void {
  statement(
    db,
    `UPDATE delivery_attempts SET detail = NULL
      WHERE detail IS NOT NULL
        AND EXISTS (SELECT 1 FROM messages m JOIN invitations i ON i.id = m.invitation_id WHERE m.id = delivery_attempts.message_id AND i.survey_id = ?)`,
  ).run(surveyId);
}
