import { setImmediate as nextTurn } from 'node:timers/promises';
import { findAgencyByCode } from '../agencies/store.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { InputError, NotFoundError } from '../platform/errors.js';
import { emailTypoNotice, readTable, requireColumns, type RowProblem, type TableRow } from '../platform/tabular.js';
import { suggestEmail } from '../respondents/emailTypos.js';
import { applyCorrection, checkedContact, correctionMode, type CorrectionSettings } from './contactCorrection.js';
import { requireOpenForSending } from './sending.js';
import { findContactRecord } from './store.js';

/** Corrected contacts for one agency, uploaded as a file: the list of undelivered invitations
 * (monitoring's undelivered.xlsx or .csv) after a liaison has fixed its emails and phone numbers in a
 * spreadsheet. Each row is what one correction form would do (contactCorrection.ts), by
 * `respondent_id`; other columns (name, group, the error) are ignored, as in every import.
 *
 * - An `email` or `phone` column the file lacks keeps what is stored; an empty cell clears it.
 * - A row whose contact is as stored changes nothing and sends nothing, so uploading the same
 *   file twice queues each invitation once.
 * - A row whose link may have been seen (`reissue`) is refused, for administrators too: replacing
 *   a link deletes a draft and is confirmed one respondent at a time, on that respondent's form.
 * - As in every import (interfaces.md §1), good rows are stored and bad rows reported by line and
 *   column. Rows are applied in transactions of ROWS_PER_TURN, with a turn of the event loop in
 *   between, so that respondents are still answered meanwhile (20,000 rows take a second or two). A
 *   row is whole or not at all, and should the upload stop half-way, sending the file again
 *   finishes it: the rows already applied are unchanged now. */

export interface ContactUploadReport {
  rows: number;
  /** invitations queued again on the corrected contact */
  resent: number;
  /** contacts stored for invitations not sent yet */
  saved: number;
  unchanged: number;
  rejected: number;
  errors: RowProblem[];
  /** corrected emails stored as given but probably mistyped (respondents/emailTypos.ts) */
  notices: RowProblem[];
  /** the respondents whose contact changed, for the audit log (ids, not contacts) */
  correctedRespondents: number[];
}

const RESPONDENT_ID = /^[1-9][0-9]{0,14}$/;

/** Rows applied in one transaction, between two turns of the event loop: 20–50 ms in a national
 * round's database (P3 in BENCHMARKS.md). */
const ROWS_PER_TURN = 250;

export async function correctContactsFromFile(
  db: Db,
  clock: Clock,
  target: { surveyCode: string; agencyCode: string },
  content: Buffer,
  settings: CorrectionSettings,
): Promise<ContactUploadReport> {
  const survey = requireOpenForSending(db, target.surveyCode);
  const agency = findAgencyByCode(db, target.agencyCode);
  if (!agency) throw new NotFoundError(`No agency ${target.agencyCode}`);
  const table = await readTable(content);
  requireColumns(table, ['respondent_id']);
  const hasEmail = table.headers.includes('email');
  const hasPhone = table.headers.includes('phone');
  if (!hasEmail && !hasPhone) throw new InputError('The file needs an "email" column, a "phone" column, or both.');

  const report: ContactUploadReport = { rows: table.rows.length, resent: 0, saved: 0, unchanged: 0, rejected: 0, errors: [], notices: [], correctedRespondents: [] };
  const domainsJudged = new Map<string, string | null>();
  const lineOfRespondent = new Map<number, number>();
  // a contact this file gives to one respondent, and where: a second row giving it to another
  // is told which line, rather than only "already registered"
  const lineOfNewContact = new Map<string, number>();
  const applyRows = db.transaction((rows: TableRow[]) => {
    const now = clock.now();
    for (const row of rows) {
      const refuse = (column: string, message: string) => {
        report.errors.push({ line: row.line, column, message });
        report.rejected++;
      };
      const idCell = row.cells.respondent_id ?? '';
      if (!RESPONDENT_ID.test(idCell)) {
        refuse('respondent_id', idCell === '' ? 'is required (the first column of the undelivered list)' : `"${idCell.slice(0, 20)}" is not a respondent number`);
        continue;
      }
      const respondentId = Number(idCell);
      const earlierLine = lineOfRespondent.get(respondentId);
      if (earlierLine !== undefined) {
        refuse('respondent_id', `same respondent as line ${earlierLine}`);
        continue;
      }
      lineOfRespondent.set(respondentId, row.line);
      const record = findContactRecord(db, survey.id, agency.id, respondentId);
      if (!record) {
        refuse('respondent_id', `no respondent ${respondentId} in ${agency.code} for this survey`);
        continue;
      }
      const mode = correctionMode(record);
      if (mode === null) {
        refuse('respondent_id', 'has answered, opted out or was withdrawn from the sample: their contact is no longer used');
        continue;
      }
      if (mode === 'reissue') {
        refuse('respondent_id', 'the invitation may already have been seen: replace its link on the respondent\'s own contact form');
        continue;
      }
      const typed = { email: hasEmail ? (row.cells.email ?? '') : (record.email ?? ''), phone: hasPhone ? (row.cells.phone ?? '') : (record.phone ?? '') };
      const checked = checkedContact(db, { id: respondentId, surveyId: survey.id, agencyId: agency.id }, agency.code, typed);
      const keys = [
        ['email', checked.email],
        ['phone', checked.phone],
      ].filter((entry): entry is [string, string] => entry[1] !== null && entry[1] !== record[entry[0] as 'email' | 'phone']);
      const clash = keys.find(([field, value]) => lineOfNewContact.has(`${field}|${value}`));
      if (clash) {
        refuse(clash[0], `same ${clash[0]} as line ${lineOfNewContact.get(`${clash[0]}|${clash[1]}`)}`);
        continue;
      }
      if (checked.problems.length > 0) {
        for (const problem of checked.problems) report.errors.push({ line: row.line, column: problem.field, message: problem.message });
        report.rejected++;
        continue;
      }
      if (checked.email === record.email && checked.phone === record.phone) {
        report.unchanged++;
        continue;
      }
      for (const [field, value] of keys) lineOfNewContact.set(`${field}|${value}`, row.line);
      if (checked.email !== null) {
        const meant = suggestEmail(checked.email, domainsJudged);
        if (meant !== null) report.notices.push(emailTypoNotice(row.line, checked.email, meant));
      }
      const channel = applyCorrection(db, now, record, mode, { email: checked.email, phone: checked.phone }, settings);
      if (channel === null) report.saved++;
      else report.resent++;
      report.correctedRespondents.push(respondentId);
    }
  });
  for (let first = 0; first < table.rows.length; first += ROWS_PER_TURN) {
    if (first > 0) await nextTurn();
    applyRows.immediate(table.rows.slice(first, first + ROWS_PER_TURN));
  }
  return report;
}
