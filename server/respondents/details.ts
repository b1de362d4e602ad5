import { findAgencyById } from '../agencies/store.js';
import { requireRespondentRecord, type RespondentTarget } from '../invitations/service.js';
import { noteChange } from '../platform/changes.js';
import { statement, type Db } from '../platform/db.js';
import { ConflictError, InputError, ValidationError } from '../platform/errors.js';
import { requireSurvey } from '../surveys/service.js';
import { checkRespondentCells } from './service.js';

/** Correcting a non-responder's name, group, unit or language (a list prepared in a hurry puts
 * people in the wrong unit, or a service user among the staff). Their contact has its own form
 * (invitations/contactCorrection.ts). Not for someone who has answered: their response was counted
 * under the group and unit of the time, anonymously. A new group means another questionnaire, so a
 * draft typed in the old one is deleted, after a confirmation. */

export interface DetailsForm {
  name: string;
  group: string;
  unit: string;
  language: string;
  confirmed: boolean;
}

/** The respondent as the form shows them first, and whether their draft would be lost by a group change. */
export function respondentDetails(db: Db, target: RespondentTarget) {
  const survey = requireSurvey(db, target.surveyCode);
  if (survey.status === 'closed') throw new InputError(`Survey ${survey.code} is closed: its respondents can no longer change.`);
  const record = requireRespondentRecord(db, survey, target);
  const agency = findAgencyById(db, record.agencyId)!;
  const stored = statement(
    db,
    `SELECT r.language, u.name AS unit, i.draft_json IS NOT NULL AS hasDraft FROM respondents r JOIN invitations i ON i.respondent_id = r.id LEFT JOIN agency_units u ON u.id = r.unit_id WHERE r.id = ?`,
  ).get(record.respondentId) as { language: string; unit: string | null; hasDraft: number };
  return { survey, agency, record, language: stored.language, unit: stored.unit ?? '', hasDraft: stored.hasDraft === 1 };
}

export function updateRespondentDetails(db: Db, target: RespondentTarget, form: DetailsForm): { groupChanged: boolean } {
  return db.transaction(() => {
    const { survey, agency, record, hasDraft } = respondentDetails(db, target);
    if (record.status === 'completed') throw new ConflictError('This respondent has answered; their response stays under the group and unit it was given in.', 'completed');
    // the stored contact passes the row check's contact rule; only the other fields are typed
    const { respondent, problems, unitId } = checkRespondentCells(db, survey, agency, { name: form.name, group: form.group, unit: form.unit, language: form.language, email: record.email ?? '', phone: record.phone ?? '' });
    const groupChanged = respondent !== undefined && respondent.groupCode !== record.groupCode;
    if (groupChanged && hasDraft && !form.confirmed) problems.push({ field: 'confirm', message: 'confirm that the answers typed in the other questionnaire are deleted' });
    if (!respondent || problems.length > 0) throw new ValidationError('The respondent was not changed.', problems);
    statement(db, 'UPDATE respondents SET name = ?, group_code = ?, unit_id = ?, language = ? WHERE id = ?').run(respondent.name, respondent.groupCode, unitId, respondent.language, record.respondentId);
    if (groupChanged) {
      // the other group's questionnaire starts afresh; having opened the link stays true
      statement(
        db,
        `UPDATE invitations SET draft_json = NULL, draft_updated_at = NULL, started_at = NULL,
                status = CASE WHEN opened_at IS NULL THEN 'new' ELSE 'opened' END
          WHERE id = ? AND status <> 'completed'`,
      ).run(record.invitationId);
    }
    noteChange(db, 'results');
    return { groupChanged };
  }).immediate();
}
