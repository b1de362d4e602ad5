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
