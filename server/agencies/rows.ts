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

  if (problems.length > 0) return { problems };
  return { agency: { line: row.line, code, name, kind: kind as AgencyKind, parentCode, units }, problems };
}
