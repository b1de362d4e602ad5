import type { MessageKey } from '../platform/locales/id.js';

/** Follow-up actions: what they are, who may do what with them, and how a form's fields are
 * checked. Pure: no I/O. */

export const ACTION_STATUSES = ['planned', 'in_progress', 'done', 'dropped'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export const TITLE_MAX = 300;
export const OWNER_MAX = 120;
export const PROGRESS_MAX = 1000;

export interface ActionFields {
  title: string;
  dimension: string | null;
  owner: string | null;
  dueOn: string;
  status: ActionStatus;
  progress: string | null;
}

/** A field and what is wrong with it, as a locale key (the pages say it in the staff member's language). */
export interface ActionProblem {
  field: keyof ActionFields;
  key: MessageKey;
  values?: Record<string, string | number>;
}

type Role = 'administrator' | 'inspector' | 'liaison';

/** Administrators and inspectors plan: add, change every field, delete. */
export function canPlan(role: Role): boolean {
  return role === 'administrator' || role === 'inspector';
}

/** The agency's liaison reports progress: the status and the progress note, nothing else. */
export const PROGRESS_FIELDS: readonly (keyof ActionFields)[] = ['status', 'progress'];

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

function isCalendarDay(text: string): boolean {
  if (!ISO_DAY.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** Checks a form as typed (strings, trimmed by the caller); the fields ready to store, or the problems. */
export function checkActionForm(
  form: { title: string; dimension: string; owner: string; dueOn: string; status: string; progress: string },
  dimensions: readonly string[],
): { fields: ActionFields } | { problems: ActionProblem[] } {
  const problems: ActionProblem[] = [];
  if (form.title.length < 3) problems.push({ field: 'title', key: 'followup.problem_title' });
  else if (form.title.length > TITLE_MAX) problems.push({ field: 'title', key: 'followup.problem_too_long', values: { max: TITLE_MAX } });
  if (form.dimension !== '' && !dimensions.includes(form.dimension)) problems.push({ field: 'dimension', key: 'followup.problem_dimension' });
  if (form.owner.length > OWNER_MAX) problems.push({ field: 'owner', key: 'followup.problem_too_long', values: { max: OWNER_MAX } });
  if (!isCalendarDay(form.dueOn)) problems.push({ field: 'dueOn', key: 'followup.problem_due' });
  if (!(ACTION_STATUSES as readonly string[]).includes(form.status)) problems.push({ field: 'status', key: 'followup.problem_status' });
  if (form.progress.length > PROGRESS_MAX) problems.push({ field: 'progress', key: 'followup.problem_too_long', values: { max: PROGRESS_MAX } });
  if (problems.length > 0) return { problems };
  return {
    fields: {
      title: form.title,
      dimension: form.dimension || null,
      owner: form.owner || null,
      dueOn: form.dueOn,
      status: form.status as ActionStatus,
      progress: form.progress || null,
    },
  };
}

/** Still open and past its due day (today: the survey calendar's day, TIMEZONE). */
export function isOverdue(action: { status: ActionStatus; dueOn: string }, today: string): boolean {
  return (action.status === 'planned' || action.status === 'in_progress') && action.dueOn < today;
}
