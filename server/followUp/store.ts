import { agencySearchCondition } from '../agencies/store.js';
import { statement, type Db } from '../platform/db.js';
import type { ActionFields, ActionStatus } from './actions.js';

export interface ActionRecord extends ActionFields {
  id: number;
  surveyId: number;
  agencyId: number;
  agencyCode: string;
  agencyName: string;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
}

/** Which of a survey's actions a list shows: by status, or those overdue; and by agency name or code. */
export interface ActionFilter {
  status?: ActionStatus | 'overdue';
  search?: string;
}

const SELECT = `SELECT f.id, f.survey_id AS surveyId, f.agency_id AS agencyId, a.code AS agencyCode, a.name AS agencyName,
                       f.title, f.dimension, f.owner, f.due_on AS dueOn, f.status, f.progress,
                       f.created_by AS createdBy, f.created_at AS createdAt, f.updated_by AS updatedBy, f.updated_at AS updatedAt
                  FROM follow_up_actions f JOIN agencies a ON a.id = f.agency_id`;

export function insertAction(db: Db, action: { surveyId: number; agencyId: number; fields: ActionFields; actor: string; nowIso: string }): number {
  const { fields } = action;
  return Number(
    statement(
      db,
      `INSERT INTO follow_up_actions (survey_id, agency_id, dimension, title, owner, due_on, status, progress, created_by, created_at, updated_by, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(action.surveyId, action.agencyId, fields.dimension, fields.title, fields.owner, fields.dueOn, fields.status, fields.progress, action.actor, action.nowIso, action.actor, action.nowIso).lastInsertRowid,
  );
}

export function findAction(db: Db, surveyId: number, id: number): ActionRecord | undefined {
  return statement(db, `${SELECT} WHERE f.id = ? AND f.survey_id = ?`).get(id, surveyId) as ActionRecord | undefined;
}

export function updateAction(db: Db, id: number, fields: ActionFields, actor: string, nowIso: string): void {
  statement(
    db,
    `UPDATE follow_up_actions SET dimension = ?, title = ?, owner = ?, due_on = ?, status = ?, progress = ?, updated_by = ?, updated_at = ? WHERE id = ?`,
  ).run(fields.dimension, fields.title, fields.owner, fields.dueOn, fields.status, fields.progress, actor, nowIso, id);
}

export function deleteAction(db: Db, id: number): void {
  statement(db, 'DELETE FROM follow_up_actions WHERE id = ?').run(id);
}

export function listAgencyActions(db: Db, surveyId: number, agencyId: number): ActionRecord[] {
  return statement(db, `${SELECT} WHERE f.survey_id = ? AND f.agency_id = ? ORDER BY f.due_on, f.id`).all(surveyId, agencyId) as ActionRecord[];
}

/** The WHERE of a filtered list, and its parameters. */
function filterClause(surveyId: number, filter: ActionFilter, today: string): { where: string; parameters: (string | number)[] } {
  const conditions = ['f.survey_id = ?'];
  const parameters: (string | number)[] = [surveyId];
  if (filter.status === 'overdue') {
    conditions.push(`f.status IN ('planned', 'in_progress') AND f.due_on < ?`);
    parameters.push(today);
  } else if (filter.status) {
    conditions.push('f.status = ?');
    parameters.push(filter.status);
  }
  if (filter.search) {
    const search = agencySearchCondition('a', filter.search);
    conditions.push(search.condition);
    parameters.push(...search.parameters);
  }
  return { where: conditions.join(' AND '), parameters };
}

export function countSurveyActions(db: Db, surveyId: number, filter: ActionFilter, today: string): number {
  const { where, parameters } = filterClause(surveyId, filter, today);
  return statement(db, `SELECT COUNT(*) FROM follow_up_actions f JOIN agencies a ON a.id = f.agency_id WHERE ${where}`).pluck().get(...parameters) as number;
}

/** A page of a survey's actions, the earliest due first; without a page, all of them (exports). */
export function listSurveyActions(db: Db, surveyId: number, filter: ActionFilter, today: string, page?: { limit: number; offset: number }): ActionRecord[] {
  const { where, parameters } = filterClause(surveyId, filter, today);
  // LIMIT -1: no limit
  return statement(db, `${SELECT} WHERE ${where} ORDER BY f.due_on, a.code, f.id LIMIT ? OFFSET ?`).all(...parameters, page?.limit ?? -1, page?.offset ?? 0) as ActionRecord[];
}

/** How many of a survey's actions (or one agency's) are in each status, and how many are overdue. */
export function actionCounts(db: Db, surveyId: number, today: string, agencyId?: number): Record<ActionStatus | 'overdue' | 'total', number> {
  return statement(
    db,
    `SELECT COUNT(*) AS total,
            COALESCE(SUM(status = 'planned'), 0) AS planned,
            COALESCE(SUM(status = 'in_progress'), 0) AS in_progress,
            COALESCE(SUM(status = 'done'), 0) AS done,
            COALESCE(SUM(status = 'dropped'), 0) AS dropped,
            COALESCE(SUM(status IN ('planned', 'in_progress') AND due_on < ?), 0) AS overdue
       FROM follow_up_actions WHERE survey_id = ? AND (? IS NULL OR agency_id = ?)`,
  ).get(today, surveyId, agencyId ?? null, agencyId ?? null) as Record<ActionStatus | 'overdue' | 'total', number>;
}

/** The open actions (planned or in progress) past their due day, and those due from `today` to
 * `soonUntil` (inclusive); of one agency, or of them all. */
export function openActionsDue(db: Db, surveyId: number, today: string, soonUntil: string, agencyId?: number): { overdue: number; soon: number } {
  return statement(
    db,
    `SELECT COALESCE(SUM(due_on < ?), 0) AS overdue, COALESCE(SUM(due_on >= ? AND due_on <= ?), 0) AS soon
       FROM follow_up_actions WHERE survey_id = ? AND status IN ('planned', 'in_progress') AND (? IS NULL OR agency_id = ?)`,
  ).get(today, today, soonUntil, surveyId, agencyId ?? null, agencyId ?? null) as { overdue: number; soon: number };
}
