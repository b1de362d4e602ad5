import { statement, type Db } from '../platform/db.js';
import type { SurveyDefinition } from './schema.js';

export type SurveyStatus = 'draft' | 'open' | 'closed';

export interface SurveyRecord {
  id: number;
  code: string;
  status: SurveyStatus;
  version: number;
  definition: SurveyDefinition;
  opensOn: string;
  closesOn: string;
  updatedAt: string;
}

interface SurveyRow {
  id: number;
  code: string;
  status: SurveyStatus;
  version: number;
  definition_json: string;
  opens_on: string;
  closes_on: string;
  updated_at: string;
}

// Definitions are large: parse each stored version once, and read the text only when it is not
// parsed yet (copying it out of SQLite on every respondent request was most of P1's garbage).
const parsedDefinitions = new Map<string, SurveyDefinition>();

type SurveyHead = Omit<SurveyRow, 'definition_json'> & { definition_length: number };
const HEAD = 'SELECT id, code, status, version, opens_on, closes_on, updated_at, octet_length(definition_json) AS definition_length FROM surveys';
const SELECT = 'SELECT id, code, status, version, definition_json, opens_on, closes_on, updated_at, octet_length(definition_json) AS definition_length FROM surveys';

const cacheKeyOf = (row: SurveyHead) => `${row.id}:${row.updated_at}:${row.definition_length}`;

function toRecord(db: Db, head: SurveyHead): SurveyRecord {
  let definition = parsedDefinitions.get(cacheKeyOf(head));
  let row: SurveyHead = head;
  if (!definition) {
    // read again with the text, and key the cache by what was read with it
    // (surveys are never deleted, so the row is still there)
    const full = statement(db, `${SELECT} WHERE id = ?`).get(head.id) as SurveyRow & SurveyHead;
    row = full;
    definition = JSON.parse(full.definition_json) as SurveyDefinition;
    if (parsedDefinitions.size > 200) parsedDefinitions.clear();
    parsedDefinitions.set(cacheKeyOf(row), definition);
  }
  return {
    id: row.id,
    code: row.code,
    status: row.status,
    version: row.version,
    definition,
    opensOn: row.opens_on,
    closesOn: row.closes_on,
    updatedAt: row.updated_at,
  };
}

export function findSurveyByCode(db: Db, code: string): SurveyRecord | undefined {
  const row = statement(db, `${HEAD} WHERE code = ?`).get(code) as SurveyHead | undefined;
  return row && toRecord(db, row);
}

export function findSurveyById(db: Db, id: number): SurveyRecord | undefined {
  const row = statement(db, `${HEAD} WHERE id = ?`).get(id) as SurveyHead | undefined;
  return row && toRecord(db, row);
}

export function listSurveys(db: Db): SurveyRecord[] {
  return (statement(db, `${HEAD} ORDER BY opens_on DESC, code`).all() as SurveyHead[]).map((row) => toRecord(db, row));
}

export function insertSurvey(db: Db, definition: SurveyDefinition, now: string): number {
  const json = JSON.stringify(definition);
  const result = statement(
    db,
    `INSERT INTO surveys (code, status, version, definition_json, opens_on, closes_on, created_at, updated_at)
     VALUES (?, 'draft', 1, ?, ?, ?, ?, ?)`,
  ).run(definition.code, json, definition.opens, definition.closes, now, now);
  const surveyId = Number(result.lastInsertRowid);
  insertSurveyVersion(db, surveyId, 1, json, now);
  return surveyId;
}

export function updateSurveyDefinition(db: Db, surveyId: number, definition: SurveyDefinition, version: number, now: string): void {
  const json = JSON.stringify(definition);
  statement(
    db,
    `UPDATE surveys SET definition_json = ?, version = ?, opens_on = ?, closes_on = ?, updated_at = ? WHERE id = ?`,
  ).run(json, version, definition.opens, definition.closes, now, surveyId);
  statement(
    db,
    `INSERT INTO survey_versions (survey_id, version, definition_json, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (survey_id, version) DO UPDATE SET definition_json = excluded.definition_json`,
  ).run(surveyId, version, json, now);
}

function insertSurveyVersion(db: Db, surveyId: number, version: number, json: string, now: string): void {
  statement(db, 'INSERT INTO survey_versions (survey_id, version, definition_json, created_at) VALUES (?, ?, ?, ?)').run(
    surveyId,
    version,
    json,
    now,
  );
}

export function setSurveyStatus(db: Db, surveyId: number, status: SurveyStatus, now: string): void {
  statement(db, 'UPDATE surveys SET status = ?, updated_at = ? WHERE id = ?').run(status, now, surveyId);
}
