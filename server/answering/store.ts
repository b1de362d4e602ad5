import { statement, type Db } from '../platform/db.js';
import type { InvitationStatus } from '../invitations/store.js';

/** The invitation as the respondent flow sees it: no name, email or phone is read here. */
export interface InvitationForAnswering {
  id: number;
  surveyId: number;
  status: InvitationStatus;
  language: string | null;
  openedAt: string | null;
  startedAt: string | null;
  receiptCode: string | null;
  draftJson: string | null;
  agencyId: number;
  agencyName: string;
  groupCode: string;
  unitId: number | null;
}

export function findInvitationByTokenHash(db: Db, tokenHash: Buffer): InvitationForAnswering | undefined {
  return statement(
    db,
    `SELECT i.id, i.survey_id AS surveyId, i.status, i.language, i.opened_at AS openedAt, i.started_at AS startedAt,
            i.receipt_code AS receiptCode, i.draft_json AS draftJson,
            r.agency_id AS agencyId, a.name AS agencyName, r.group_code AS groupCode, r.unit_id AS unitId
       FROM invitations i
       JOIN respondents r ON r.id = i.respondent_id
       JOIN agencies a ON a.id = r.agency_id
      WHERE i.token_hash = ? AND i.withdrawn_at IS NULL`,
  ).get(tokenHash) as InvitationForAnswering | undefined;
}

export function markOpened(db: Db, invitationId: number, now: string): void {
  statement(db, `UPDATE invitations SET status = 'opened', opened_at = ? WHERE id = ? AND status = 'new'`).run(now, invitationId);
}

export function setInvitationLanguage(db: Db, invitationId: number, language: string): void {
  statement(db, 'UPDATE invitations SET language = ? WHERE id = ? AND (language IS NULL OR language <> ?)').run(language, invitationId, language);
}

export function saveDraft(db: Db, invitationId: number, draftJson: string, now: string): void {
  statement(
    db,
    `UPDATE invitations
        SET draft_json = ?, draft_updated_at = ?,
            status = CASE WHEN status IN ('new', 'opened') THEN 'in_progress' ELSE status END,
            opened_at = COALESCE(opened_at, ?), started_at = COALESCE(started_at, ?)
      WHERE id = ? AND status <> 'completed'`,
  ).run(draftJson, now, now, now, invitationId);
}

/** Marks the invitation completed and deletes its draft; false when it already was (the
 * database decides which of two racing submits wins). */
/** (A client that submits in one call has still opened and started: the funnel stays consistent.)
 * The exact opening time is cut to its day: with the response's duration it would give the exact
 * moment of submission, which a log line could then tie to this invitation. */
export function completeInvitation(db: Db, invitationId: number, completedOn: string, receiptCode: string, nowIso: string): boolean {
  return (
    statement(
      db,
      `UPDATE invitations
          SET status = 'completed', completed_on = ?, receipt_code = ?, draft_json = NULL, draft_updated_at = NULL,
              opened_at = substr(COALESCE(opened_at, ?), 1, 10), started_at = substr(COALESCE(started_at, ?), 1, 10)
        WHERE id = ? AND status <> 'completed'`,
    ).run(completedOn, receiptCode, nowIso, nowIso, invitationId).changes === 1
  );
}

export interface NewResponse {
  id: string;
  surveyId: number;
  agencyId: number;
  groupCode: string;
  unitId: number | null;
  questionnaireVersion: number;
  submittedOn: string;
  durationSeconds: number | null;
  source: 'web' | 'import';
  entryId: string | null;
  flagSpeeder: boolean;
  flagStraightliner: boolean;
}

/** Writes a response, its answers and its dimension scores (s(r, d), computed by the caller). */
export function insertResponse(db: Db, response: NewResponse, answers: Record<string, unknown>, dimensionScores: ReadonlyMap<string, number>): void {
  statement(
    db,
    `INSERT INTO responses (id, survey_id, agency_id, group_code, unit_id, questionnaire_version, submitted_on,
                            duration_seconds, source, entry_id, flag_speeder, flag_straightliner, scored)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
  ).run(
    response.id,
    response.surveyId,
    response.agencyId,
    response.groupCode,
    response.unitId,
    response.questionnaireVersion,
    response.submittedOn,
    response.durationSeconds,
    response.source,
    response.entryId,
    response.flagSpeeder ? 1 : 0,
    response.flagStraightliner ? 1 : 0,
  );
  const insertAnswer = statement(db, 'INSERT INTO response_answers (response_id, item_code, value_json) VALUES (?, ?, ?)');
  for (const [itemCode, value] of Object.entries(answers)) insertAnswer.run(response.id, itemCode, JSON.stringify(value));
  insertResponseScores(db, response, dimensionScores);
}

export function insertResponseScores(
  db: Db,
  response: { id: string; surveyId: number; agencyId: number; groupCode: string },
  dimensionScores: ReadonlyMap<string, number>,
): void {
  const insertScore = statement(db, 'INSERT INTO response_scores (response_id, survey_id, agency_id, group_code, dimension, score) VALUES (?, ?, ?, ?, ?, ?)');
  for (const [dimension, score] of dimensionScores) insertScore.run(response.id, response.surveyId, response.agencyId, response.groupCode, dimension, score);
}
