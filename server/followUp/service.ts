import { addDays, type Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { ValidationError } from '../platform/errors.js';
import type { SurveyRecord } from '../surveys/store.js';
import { canPlan, checkActionForm, type ActionFields, type ActionProblem } from './actions.js';
import { deleteAction, insertAction, openActionsDue, updateAction, type ActionRecord } from './store.js';

/** Follow-up actions: adding, changing and deleting them. Who may is checked by the pages
 * (actions.ts, canPlan); what a liaison may change is enforced here. */

export type ActionForm = Parameters<typeof checkActionForm>[0];

/** A 422 that the pages answer with the form again, each problem said in the staff member's language. */
export class ActionFormError extends ValidationError {
  constructor(readonly actionProblems: ActionProblem[]) {
    super('the follow-up action has problems', actionProblems.map((problem) => ({ field: problem.field, message: problem.key })));
  }
}

function checked(survey: SurveyRecord, form: ActionForm): ActionFields {
  const result = checkActionForm(form, survey.definition.dimensions.map((dimension) => dimension.code));
  if ('problems' in result) throw new ActionFormError(result.problems);
  return result.fields;
}

export function addAction(db: Db, clock: Clock, survey: SurveyRecord, agencyId: number, form: ActionForm, actor: string): number {
  return insertAction(db, { surveyId: survey.id, agencyId, fields: checked(survey, form), actor, nowIso: clock.now().toISOString() });
}

/** A planner changes every field; a liaison only the status and the progress note, whatever else
 * the form holds. Returns the fields that changed. */
export function changeAction(db: Db, clock: Clock, survey: SurveyRecord, action: ActionRecord, form: ActionForm, staff: { role: 'administrator' | 'inspector' | 'liaison'; email: string }): (keyof ActionFields)[] {
  const planner = canPlan(staff.role);
  const fields = checked(survey, planner ? form : { ...form, title: action.title, dimension: action.dimension ?? '', owner: action.owner ?? '', dueOn: action.dueOn });
  const changed = (Object.keys(fields) as (keyof ActionFields)[]).filter((field) => fields[field] !== action[field]);
  if (changed.length > 0) updateAction(db, action.id, fields, staff.email, clock.now().toISOString());
  return changed;
}

export function removeAction(db: Db, action: ActionRecord): void {
  deleteAction(db, action.id);
}

/** How far ahead the staff home looks for actions falling due. */
export const DUE_SOON_DAYS = 14;

/** What the staff home points out about a survey's follow-up (an agency's, for its liaison): open
 * actions past their due day, and those due within DUE_SOON_DAYS; undefined when there are none. */
export function followUpAttention(db: Db, surveyId: number, today: string, agencyId?: number): { overdue: number; soon: number } | undefined {
  const due = openActionsDue(db, surveyId, today, addDays(today, DUE_SOON_DAYS), agencyId);
  return due.overdue + due.soon > 0 ? due : undefined;
}
