import { canonicalTimeZone } from '../platform/clock.js';
import type { RowProblem, TableRow } from '../platform/tabular.js';

export const AGENCY_KINDS = ['ministry', 'agency', 'province', 'regency', 'city', 'other'] as const;
export type AgencyKind = (typeof AGENCY_KINDS)[number];
export const AGENCY_CODE_PATTERN = /^[A-Za-z0-9_.-]{1,40}$/;

export interface AgencyRow {
  line: number;
  code: string;
  name: string;
  kind: AgencyKind;
  parentCode: string | null;
  units: string[];
  /** the agency's IANA time zone; null: the server's TIMEZONE; undefined: the file has no
   * time_zone column, so a registered agency keeps its zone */
  timeZone?: string | null;
}

/** Indonesia's three zones by the names people use for them. */
export const INDONESIAN_TIME_ZONES: Record<string, string> = { WIB: 'Asia/Jakarta', WITA: 'Asia/Makassar', WIT: 'Asia/Jayapura' };

/** How an export writes a zone: WIB, WITA or WIT for the zones those names import as, else its IANA name. */
export function timeZoneCell(timeZone: string | null): string {
  if (timeZone === null) return '';
  return Object.keys(INDONESIAN_TIME_ZONES).find((name) => INDONESIAN_TIME_ZONES[name] === timeZone) ?? timeZone;
}

/** A time_zone cell: WIB, WITA or WIT, or an IANA name; null when empty. */
export function parseAgencyTimeZone(text: string): { timeZone: string | null } | { problem: string } {
  if (text === '') return { timeZone: null };
  const timeZone = INDONESIAN_TIME_ZONES[text.toUpperCase()] ?? canonicalTimeZone(text);
  if (timeZone === undefined) return { problem: `"${text.slice(0, 60)}" is not a time zone: use WIB, WITA or WIT, or an IANA name such as Asia/Jayapura` };
  return { timeZone };
}

/** Checks one row of an agencies file on its own (the parent's existence is checked later). */
export function parseAgencyRow(row: TableRow): { agency?: AgencyRow; problems: RowProblem[] } {
  const problems: RowProblem[] = [];
  const cell = (column: string) => row.cells[column] ?? '';
  const problem = (column: string, message: string) => problems.push({ line: row.line, column, message });

  const code = cell('code');
  if (code === '') problem('code', 'is required');
  else if (!AGENCY_CODE_PATTERN.test(code)) problem('code', `"${code.slice(0, 60)}" must be 1–40 letters, digits, "_", "." or "-"`);

  const name = cell('name');
  if (name === '') problem('name', 'is required');
  else if (name.length > 200) problem('name', 'must be at most 200 characters');

  const kind = cell('kind').toLowerCase();
  if (kind === '') problem('kind', `is required (one of ${AGENCY_KINDS.join(', ')})`);
  else if (!(AGENCY_KINDS as readonly string[]).includes(kind)) problem('kind', `"${kind.slice(0, 40)}" is not one of ${AGENCY_KINDS.join(', ')}`);

  const parentCode = cell('parent_code') || null;
  if (parentCode !== null && parentCode.toLowerCase() === code.toLowerCase()) problem('parent_code', 'an agency cannot be its own parent');

  const units: string[] = [];
  const seen = new Set<string>();
  for (const unit of cell('units').split('|').map((part) => part.trim()).filter(Boolean)) {
    if (unit.length > 120) {
      problem('units', `unit "${unit.slice(0, 40)}…" is longer than 120 characters`);
      continue;
    }
    if (seen.has(unit.toLowerCase())) continue;
    seen.add(unit.toLowerCase());
    units.push(unit);
  }

  let timeZone: string | null | undefined;
  if (row.cells.time_zone !== undefined) {
    const parsed = parseAgencyTimeZone(row.cells.time_zone);
    if ('problem' in parsed) problem('time_zone', parsed.problem);
    else timeZone = parsed.timeZone;
  }

  if (problems.length > 0) return { problems };
  return { agency: { line: row.line, code, name, kind: kind as AgencyKind, parentCode, units, timeZone }, problems };
}
