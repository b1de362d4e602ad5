import { noteChange } from '../platform/changes.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { emptyReport, readTable, requireColumns, type ImportReport } from '../platform/tabular.js';
import { parseAgencyRow, timeZoneCell, type AgencyRow } from './rows.js';
import { findAgencyByCode, insertAgency, insertUnit, listRegistry, listUnits, setAgencyParent, updateAgency } from './store.js';

/** Imports an agencies file (interfaces.md §1): every row checked, valid rows stored in one
 * transaction, bad rows reported; re-importing the same file changes nothing. */
export async function importAgencies(db: Db, clock: Clock, content: Buffer): Promise<ImportReport> {
  const table = await readTable(content);
  requireColumns(table, ['code', 'name', 'kind']);
  const report = emptyReport();
  report.rows = table.rows.length;

  const valid: AgencyRow[] = [];
  const firstLineOfCode = new Map<string, number>();
  for (const row of table.rows) {
    const { agency, problems } = parseAgencyRow(row);
    if (!agency) {
      report.errors.push(...problems);
      continue;
    }
    const earlierLine = firstLineOfCode.get(agency.code.toLowerCase());
    if (earlierLine !== undefined) {
      report.errors.push({ line: row.line, column: 'code', message: `"${agency.code}" already appears on line ${earlierLine}` });
      continue;
    }
    firstLineOfCode.set(agency.code.toLowerCase(), row.line);
    valid.push(agency);
  }

  // A parent must be in this file (on a valid row) or already in the database.
  const accepted = valid.filter((agency) => {
    if (agency.parentCode === null) return true;
    if (firstLineOfCode.has(agency.parentCode.toLowerCase())) return true;
    if (findAgencyByCode(db, agency.parentCode)) return true;
    report.errors.push({ line: agency.line, column: 'parent_code', message: `no agency with code "${agency.parentCode}" in this file or already registered` });
    return false;
  });

  const now = clock.now().toISOString();
  db.transaction(() => {
    const idByCode = new Map<string, number>();
    for (const agency of accepted) {
      const existing = findAgencyByCode(db, agency.code);
      let changed = false;
      let agencyId: number;
      if (!existing) {
        agencyId = insertAgency(db, { ...agency, timeZone: agency.timeZone ?? null }, now);
        report.stored++;
      } else {
        agencyId = existing.id;
        // a file without the time_zone column leaves the registered zone as it is
        const timeZone = agency.timeZone === undefined ? existing.timeZone : agency.timeZone;
        if (existing.name !== agency.name || existing.kind !== agency.kind || existing.timeZone !== timeZone) {
          updateAgency(db, agencyId, { ...agency, timeZone });
          changed = true;
        }
      }
      const knownUnits = new Set(listUnits(db, agencyId).map((unit) => unit.name.toLowerCase()));
      for (const unit of agency.units) {
        if (!knownUnits.has(unit.toLowerCase())) {
          insertUnit(db, agencyId, unit);
          changed = existing !== undefined || changed;
        }
      }
      idByCode.set(agency.code.toLowerCase(), agencyId);
      if (existing) {
        const wantedParent = agency.parentCode === null ? null : (idByCode.get(agency.parentCode.toLowerCase()) ?? findAgencyByCode(db, agency.parentCode)?.id ?? null);
        // parents later in the file are resolved in the second pass below
        if (agency.parentCode === null ? existing.parentId !== null : wantedParent !== null && wantedParent !== existing.parentId) changed = true;
        if (changed) report.updated++;
        else {
          report.duplicates++;
          report.duplicateLines.push({ line: agency.line, column: 'code', message: `"${agency.code}" is already registered with the same data` });
        }
      }
    }
    for (const agency of accepted) {
      const parentId = agency.parentCode === null ? null : (idByCode.get(agency.parentCode.toLowerCase()) ?? findAgencyByCode(db, agency.parentCode)!.id);
      setAgencyParent(db, idByCode.get(agency.code.toLowerCase())!, parentId);
    }
  })();
  if (report.stored + report.updated > 0) noteChange(db, 'results');
  report.rejected = report.rows - report.stored - report.updated - report.duplicates;
  report.errors.sort((a, b) => a.line - b.line);
  return report;
}

/** The registry as an agencies file (interfaces.md §1, with time_zone): what the import reads, so
 * that a downloaded file edited in a spreadsheet (say, to fill in the zones) can be imported back. */
export const AGENCY_FILE_COLUMNS = ['code', 'name', 'kind', 'parent_code', 'units', 'time_zone'] as const;

export function agencyFileRows(db: Db): string[][] {
  return listRegistry(db, {}).map((row) => [row.code, row.name, row.kind, row.parentCode ?? '', row.units, timeZoneCell(row.timeZone)]);
}
