import { z } from 'zod';
import { SUPPORTED_LANGUAGES, type Language } from '../surveys/schema.js';
import type { RowProblem, TableRow } from '../platform/tabular.js';
import { normalizeMobileNumber } from './phone.js';

export interface RespondentRow {
  line: number;
  agencyCode: string;
  groupCode: string;
  name: string;
  email: string | null;
  phone: string | null;
  unit: string | null;
  language: Language;
}

const emailSchema = z.email();

/** An email address as stored (lower case), or why it is not one. */
function checkEmail(input: string): { ok: true; email: string } | { ok: false; reason: string } {
  if (input.length > 254 || !emailSchema.safeParse(input).success) return { ok: false, reason: `"${input.slice(0, 60)}" is not a valid email address` };
  return { ok: true, email: input.toLowerCase() };
}

/** A respondent's email and phone as typed ('' for none), as stored (null for none), with what is
 * wrong with them: the rule of an import row and of a contact correction alike. */
export function checkContact(emailTyped: string, phoneTyped: string): { email: string | null; phone: string | null; problems: { field: 'email' | 'phone'; message: string }[] } {
  const problems: { field: 'email' | 'phone'; message: string }[] = [];
  let email: string | null = null;
  let phone: string | null = null;
  if (emailTyped !== '') {
    const checked = checkEmail(emailTyped);
    if (checked.ok) email = checked.email;
    else problems.push({ field: 'email', message: checked.reason });
  }
  if (phoneTyped !== '') {
    const checked = normalizeMobileNumber(phoneTyped);
    if (checked.ok) phone = checked.e164;
    else problems.push({ field: 'phone', message: checked.reason });
  }
  if (emailTyped === '' && phoneTyped === '') problems.push({ field: 'email', message: 'an email or a phone number is required' });
  return { email, phone, problems };
}

/** What a respondents row is checked against: the survey's groups and the registry. */
export interface RespondentRowContext {
  groupCodes: ReadonlySet<string>;
  /** the agency's canonical code and units (lower-cased name → name), or undefined if unknown */
  agency(code: string): { code: string; units: ReadonlyMap<string, string> } | undefined;
}

/** Checks one row of a respondents file; duplicates are judged later, across rows. */
export function parseRespondentRow(row: TableRow, context: RespondentRowContext): { respondent?: RespondentRow; problems: RowProblem[] } {
  const problems: RowProblem[] = [];
  const cell = (column: string) => row.cells[column] ?? '';
  const problem = (column: string, message: string) => problems.push({ line: row.line, column, message });

  const agencyCode = cell('agency_code');
  const agency = agencyCode === '' ? undefined : context.agency(agencyCode);
  if (agencyCode === '') problem('agency_code', 'is required');
  else if (!agency) problem('agency_code', `no agency with code "${agencyCode.slice(0, 40)}" is registered`);

  const groupCode = cell('group');
  if (groupCode === '') problem('group', `is required (one of ${[...context.groupCodes].join(', ')})`);
  else if (!context.groupCodes.has(groupCode)) problem('group', `"${groupCode.slice(0, 40)}" is not a group of this survey (${[...context.groupCodes].join(', ')})`);

  const name = cell('name');
  if (name.length > 200) problem('name', 'must be at most 200 characters');

  const { email, phone, problems: contactProblems } = checkContact(cell('email'), cell('phone'));
  for (const contactProblem of contactProblems) problem(contactProblem.field, contactProblem.message);

  let unit: string | null = null;
  const unitCell = cell('unit');
  if (unitCell !== '' && agency) {
    unit = agency.units.get(unitCell.toLowerCase()) ?? null;
    if (unit === null) problem('unit', `"${unitCell.slice(0, 60)}" is not a unit of agency ${agency.code}`);
  }

  const languageCell = cell('language').toLowerCase();
  let language: Language = 'id';
  if (languageCell !== '') {
    if ((SUPPORTED_LANGUAGES as readonly string[]).includes(languageCell)) language = languageCell as Language;
    else problem('language', `"${languageCell.slice(0, 20)}" is not one of ${SUPPORTED_LANGUAGES.join(', ')}`);
  }

  if (problems.length > 0 || !agency) return { problems };
  return { respondent: { line: row.line, agencyCode: agency.code, groupCode, name, email, phone, unit, language }, problems };
}
