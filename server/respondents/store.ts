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
