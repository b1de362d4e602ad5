import { setImmediate as nextTurn } from 'node:timers/promises';
import { findAgencyByCode, listAgencies, listAllUnits, listUnits } from '../agencies/store.js';
import { noteChange } from '../platform/changes.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { emailTypoNotice, emptyReport, readTable, requireColumns, type ImportReport } from '../platform/tabular.js';
import { ConflictError, InputError, NotFoundError, ValidationError, type FieldProblem } from '../platform/errors.js';
import { queueMessage, type Channel } from '../invitations/outboxStore.js';
import { automaticChannel } from '../invitations/sending.js';
import { insertInvitation, insertStagedInvitations } from '../invitations/store.js';
import { invitationTokenMinter } from '../invitations/tokens.js';
import { requireSurvey } from '../surveys/service.js';
import type { SurveyRecord } from '../surveys/store.js';
import { suggestEmail } from './emailTypos.js';
import { parseRespondentRow, type RespondentRow, type RespondentRowContext } from './rows.js';
import { contactTakenByAnother, createImportStaging, dropImportStaging, insertRespondent, insertStagedRespondents, listContactKeys, nextRespondentId, stageRespondents, type StagedRespondent } from './store.js';

/** Rows checked between two turns of the event loop (see below). */
const ROWS_PER_TURN = 1000;

/** Imports a survey's respondents file (interfaces.md §1) and gives each new respondent one
 * invitation. Duplicates (same email or phone in one agency and survey, in the file or already
 * registered) are reported and skipped, so re-importing a file changes nothing.
 *
 * Checking rows, minting their tokens and staging them (most of the work) gives the event loop a turn
 * every 1,000 rows, so that respondents are still answered while a national file is checked; only
 * storing the staged rows is one transaction (two `INSERT … SELECT`, see `createImportStaging`), so
 * that a file is stored whole or not at all. Should another import store one of the same contacts
 * in between, that transaction fails on the unique index and nothing of this file is stored. */
export async function importRespondents(
  db: Db,
  clock: Clock,
  secretKey: Buffer,
  surveyCode: string,
  content: Buffer,
  /** an agency liaison may only import their own agency's respondents */
  restrictToAgency?: string,
): Promise<ImportReport> {
  const survey = requireSurvey(db, surveyCode);
  if (survey.status === 'closed') throw new InputError(`Survey ${survey.code} is closed: no respondents can be added.`);
  const table = await readTable(content);
  requireColumns(table, ['agency_code', 'group']);
  if (!table.headers.includes('email') && !table.headers.includes('phone')) {
    throw new InputError('The file needs an "email" column, a "phone" column, or both.');
  }

  const agencies = new Map(listAgencies(db).map((agency) => [agency.code.toLowerCase(), { ...agency, units: new Map<string, { id: number; name: string }>() }]));
  const agencyById = new Map([...agencies.values()].map((agency) => [agency.id, agency]));
  for (const unit of listAllUnits(db)) agencyById.get(unit.agencyId)?.units.set(unit.name.toLowerCase(), unit);
  // what a row is checked against, built once per import (not once per row)
  const rowViews = new Map([...agencies].map(([key, agency]) => [key, { code: agency.code, units: new Map([...agency.units].map(([unitKey, unit]) => [unitKey, unit.name])) }]));
  const context: RespondentRowContext = {
    groupCodes: new Set(Object.keys(survey.definition.groups)),
    agency: (code) => rowViews.get(code.toLowerCase()),
  };

  // Where each contact was first seen: a line of this file, or 0 for "already registered".
  const seenContacts = new Map<string, number>();
  for (const known of listContactKeys(db, survey.id)) {
    if (known.email) seenContacts.set(`${known.agencyId}|e|${known.email.toLowerCase()}`, 0);
    if (known.phone) seenContacts.set(`${known.agencyId}|p|${known.phone}`, 0);
  }

  const report = emptyReport();
  report.rows = table.rows.length;
  const now = clock.now().toISOString();
  const mintToken = invitationTokenMinter(secretKey);
  const domainsJudged = new Map<string, string | null>();
  const staging = createImportStaging(db);
  try {
    let accepted = 0;
    let batch: StagedRespondent[] = [];
    for (const [index, row] of table.rows.entries()) {
      if (index > 0 && index % ROWS_PER_TURN === 0) {
        stageRespondents(db, staging, batch);
        batch = [];
        await nextTurn();
      }
      const { respondent, problems } = parseRespondentRow(row, context);
      if (!respondent) {
        report.errors.push(...problems);
        continue;
      }
      const agency = agencies.get(respondent.agencyCode.toLowerCase())!;
      if (restrictToAgency && agency.code.toLowerCase() !== restrictToAgency.toLowerCase()) {
        report.errors.push({ line: row.line, column: 'agency_code', message: `you can only import respondents of ${restrictToAgency}` });
        continue;
      }
      const keys: [string, string][] = [];
      if (respondent.email) keys.push(['email', `${agency.id}|e|${respondent.email}`]);
      if (respondent.phone) keys.push(['phone', `${agency.id}|p|${respondent.phone}`]);
      const clash = keys.find(([, key]) => seenContacts.has(key));
      if (clash) {
        const firstLine = seenContacts.get(clash[1])!;
        report.duplicates++;
        report.duplicateLines.push({
          line: row.line,
          column: clash[0],
          message: firstLine === 0 ? `this ${clash[0]} is already registered for ${agency.code} in this survey` : `same ${clash[0]} as line ${firstLine} for ${agency.code}`,
        });
        continue;
      }
      for (const [, key] of keys) seenContacts.set(key, row.line);
      const unitId = respondent.unit === null ? null : agency.units.get(respondent.unit.toLowerCase())!.id;
      if (respondent.email !== null) {
        const meant = suggestEmail(respondent.email, domainsJudged);
        if (meant !== null) report.notices.push(emailTypoNotice(row.line, respondent.email, meant));
      }
      const { tokenSeed, tokenHash } = mintToken();
      batch.push({ agencyId: agency.id, groupCode: respondent.groupCode, unitId, name: respondent.name, email: respondent.email, phone: respondent.phone, language: respondent.language, tokenSeed, tokenHash });
      accepted++;
    }
    stageRespondents(db, staging, batch);

    if (accepted > 0) {
      try {
        // IMMEDIATE: the first free id is read under the write lock that the inserts then use
        db.transaction(() => {
          const firstId = nextRespondentId(db);
          insertStagedRespondents(db, staging, survey.id, firstId, now);
          insertStagedInvitations(db, staging, survey.id, firstId);
        }).immediate();
        noteChange(db, 'results');
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new ConflictError('Respondents of this survey were added while the file was being checked (another import?). Nothing from this file was stored; import it again.', 'respondents_changed');
        }
        throw error;
      }
    }
    report.stored = accepted;
  } finally {
    dropImportStaging(db, staging);
  }
  report.rejected = report.rows - report.stored - report.duplicates;
  report.errors.sort((a, b) => a.line - b.line);
  return report;
}

/** What another respondent of the agency in the survey already has of this email and phone, as
 * problems naming the field: the import's duplicate rule, for one respondent (`id` 0 for a new one). */
export function registeredContactProblems(db: Db, respondent: { id: number; surveyId: number; agencyId: number }, agencyCode: string, contact: { email: string | null; phone: string | null }): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const field of ['email', 'phone'] as const) {
    const value = contact[field];
    if (value !== null && contactTakenByAnother(db, respondent, field, value)) problems.push({ field, message: `this ${field} is already registered for ${agencyCode} in this survey` });
  }
  return problems;
}

/** One respondent typed in a staff form ('' for an empty field). */
export interface RespondentCells {
  group: string;
  name: string;
  email: string;
  phone: string;
  unit: string;
  language: string;
}

/** Those fields checked as an import row of `agency` is, with each problem naming its field, and
 * the id of the unit named (the add form and the details form). */
export function checkRespondentCells(db: Db, survey: SurveyRecord, agency: { id: number; code: string }, cells: RespondentCells): { respondent?: RespondentRow; problems: FieldProblem[]; unitId: number | null } {
  const units = new Map(listUnits(db, agency.id).map((unit) => [unit.name.toLowerCase(), unit]));
  const context: RespondentRowContext = {
    groupCodes: new Set(Object.keys(survey.definition.groups)),
    agency: () => ({ code: agency.code, units: new Map([...units].map(([key, unit]) => [key, unit.name])) }),
  };
  const row = { agency_code: agency.code, group: cells.group.trim(), name: cells.name.trim(), email: cells.email.trim(), phone: cells.phone.trim(), unit: cells.unit.trim(), language: cells.language.trim() };
  const { respondent, problems } = parseRespondentRow({ line: 0, cells: row }, context);
  const unitId = respondent?.unit ? units.get(respondent.unit.toLowerCase())!.id : null;
  return { respondent, problems: problems.map((problem) => ({ field: problem.column, message: problem.message })), unitId };
}

/** Adds one respondent to an agency's list by hand (a replacement for someone withdrawn, a
 * newcomer), checked as an import row is, with their invitation; `sendNow` also queues it on the
 * channel their contact gives, when the survey is open. Problems name the form's field. */
export function addRespondent(
  db: Db,
  clock: Clock,
  settings: { secretKey: Buffer; whatsappConfigured: boolean },
  target: { surveyCode: string; agencyCode: string },
  form: RespondentCells,
  sendNow: boolean,
): { respondentId: number; channel: Channel | null } {
  const survey = requireSurvey(db, target.surveyCode);
  if (survey.status === 'closed') throw new InputError(`Survey ${survey.code} is closed: no respondents can be added.`);
  const agency = findAgencyByCode(db, target.agencyCode);
  if (!agency) throw new NotFoundError(`No agency ${target.agencyCode}`);
  const { respondent, problems, unitId } = checkRespondentCells(db, survey, agency, form);
  return db.transaction(() => {
    if (respondent) problems.push(...registeredContactProblems(db, { id: 0, surveyId: survey.id, agencyId: agency.id }, agency.code, respondent));
    if (!respondent || problems.length > 0) throw new ValidationError('The respondent was not added.', problems);
    const now = clock.now();
    const respondentId = insertRespondent(
      db,
      { surveyId: survey.id, agencyId: agency.id, groupCode: respondent.groupCode, unitId, name: respondent.name, email: respondent.email, phone: respondent.phone, language: respondent.language },
      now.toISOString(),
    );
    const invitationId = insertInvitation(db, respondentId, survey.id, invitationTokenMinter(settings.secretKey)(), respondent.language);
    noteChange(db, 'results');
    const channel = sendNow && survey.status === 'open' ? automaticChannel(respondent, settings.whatsappConfigured) : null;
    // one respondent added by a staff member: ahead of any blast in the outbox
    if (channel) queueMessage(db, { invitationId, channel, kind: 'invitation', priority: true }, now.getTime(), now.toISOString());
    return { respondentId, channel };
  }).immediate();
}
