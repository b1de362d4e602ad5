import { statement, type Db } from '../platform/db.js';
import type { AgencyKind } from './rows.js';

export interface AgencyRecord {
  id: number;
  code: string;
  name: string;
  kind: AgencyKind;
  parentId: number | null;
  /** IANA name; null: the server's TIMEZONE */
  timeZone: string | null;
}

export interface UnitRecord {
  id: number;
  agencyId: number;
  name: string;
}

const SELECT = 'SELECT id, code, name, kind, parent_id AS parentId, time_zone AS timeZone FROM agencies';

export function findAgencyByCode(db: Db, code: string): AgencyRecord | undefined {
  return statement(db, `${SELECT} WHERE code = ?`).get(code) as AgencyRecord | undefined;
}

export function findAgencyById(db: Db, id: number): AgencyRecord | undefined {
  return statement(db, `${SELECT} WHERE id = ?`).get(id) as AgencyRecord | undefined;
}

export function listAgencies(db: Db): AgencyRecord[] {
  return statement(db, `${SELECT} ORDER BY code`).all() as AgencyRecord[];
}

export function insertAgency(db: Db, agency: { code: string; name: string; kind: AgencyKind; timeZone: string | null }, now: string): number {
  return Number(
    statement(db, 'INSERT INTO agencies (code, name, kind, time_zone, created_at) VALUES (?, ?, ?, ?, ?)').run(agency.code, agency.name, agency.kind, agency.timeZone, now)
      .lastInsertRowid,
  );
}

export function updateAgency(db: Db, id: number, agency: { name: string; kind: AgencyKind; timeZone: string | null }): void {
  statement(db, 'UPDATE agencies SET name = ?, kind = ?, time_zone = ? WHERE id = ?').run(agency.name, agency.kind, agency.timeZone, id);
}

/** The time zones the agencies live in (null: the server's TIMEZONE), for the sending hours. */
export function agencyTimeZones(db: Db): (string | null)[] {
  return statement(db, 'SELECT DISTINCT time_zone FROM agencies').pluck().all() as (string | null)[];
}

/** Each agency's time zone by its code (null: none, the default zone). */
export function agencyZonesByCode(db: Db): Map<string, string | null> {
  const rows = statement(db, 'SELECT code, time_zone AS timeZone FROM agencies').all() as { code: string; timeZone: string | null }[];
  return new Map(rows.map((row) => [row.code, row.timeZone]));
}

export function setAgencyParent(db: Db, id: number, parentId: number | null): void {
  statement(db, 'UPDATE agencies SET parent_id = ? WHERE id = ?').run(parentId, id);
}

export function listUnits(db: Db, agencyId: number): UnitRecord[] {
  return statement(db, 'SELECT id, agency_id AS agencyId, name FROM agency_units WHERE agency_id = ? ORDER BY name').all(agencyId) as UnitRecord[];
}

export function listAllUnits(db: Db): UnitRecord[] {
  return statement(db, 'SELECT id, agency_id AS agencyId, name FROM agency_units').all() as UnitRecord[];
}

export function insertUnit(db: Db, agencyId: number, name: string): number {
  return Number(statement(db, 'INSERT INTO agency_units (agency_id, name) VALUES (?, ?)').run(agencyId, name).lastInsertRowid);
}

/** An agency as the registry lists and exports it: the import's columns (interfaces.md §1). */
export interface RegistryRow {
  code: string;
  name: string;
  kind: AgencyKind;
  parentCode: string | null;
  /** unit names joined with "|", as the import reads them */
  units: string;
  timeZone: string | null;
}

/** Which agencies the registry shows: by a name or code fragment, and by zone ('default': none set). */
export interface RegistryFilter {
  search?: string;
  zone?: string | 'default';
}

/** Agencies (aliased `alias` in the query) whose name or code holds what was typed in a search
 * box. instr, not LIKE: a % or _ typed in the box is a character, not a wildcard. */
export function agencySearchCondition(alias: string, search: string): { condition: string; parameters: string[] } {
  const typed = search.toLowerCase();
  return { condition: `(instr(lower(${alias}.name), ?) > 0 OR instr(lower(${alias}.code), ?) > 0)`, parameters: [typed, typed] };
}

function registryWhere(filter: RegistryFilter): { where: string; parameters: string[] } {
  const conditions: string[] = [];
  const parameters: string[] = [];
  if (filter.search) {
    const search = agencySearchCondition('a', filter.search);
    conditions.push(search.condition);
    parameters.push(...search.parameters);
  }
  if (filter.zone === 'default') conditions.push('a.time_zone IS NULL');
  else if (filter.zone) {
    conditions.push('a.time_zone = ?');
    parameters.push(filter.zone);
  }
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', parameters };
}

export function countRegistry(db: Db, filter: RegistryFilter): number {
  const { where, parameters } = registryWhere(filter);
  return statement(db, `SELECT COUNT(*) FROM agencies a ${where}`).pluck().get(...parameters) as number;
}

/** A page of the registry by code; without a page, all of it (the export). */
export function listRegistry(db: Db, filter: RegistryFilter, page?: { limit: number; offset: number }): RegistryRow[] {
  const { where, parameters } = registryWhere(filter);
  return statement(
    db,
    `SELECT a.code, a.name, a.kind, p.code AS parentCode, a.time_zone AS timeZone,
            COALESCE((SELECT group_concat(u.name, '|') FROM (SELECT name FROM agency_units WHERE agency_id = a.id ORDER BY name) u), '') AS units
       FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id
       ${where}
      ORDER BY a.code LIMIT ? OFFSET ?`,
  ).all(...parameters, page?.limit ?? -1, page?.offset ?? 0) as RegistryRow[];
}

/** How many agencies are in each zone (null: none set). */
export function zoneCounts(db: Db): { timeZone: string | null; agencies: number }[] {
  return statement(db, 'SELECT time_zone AS timeZone, COUNT(*) AS agencies FROM agencies GROUP BY time_zone ORDER BY time_zone').all() as { timeZone: string | null; agencies: number }[];
}
