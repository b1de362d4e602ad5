import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { findAgencyByCode } from '../agencies/store.js';
import { dayIn, type Clock } from '../platform/clock.js';
import { csvLine } from '../platform/csv.js';
import type { Db } from '../platform/db.js';
import { NotFoundError } from '../platform/errors.js';
import { dateFormat, type Translate } from '../platform/i18n.js';
import { pageHref, pageOf, pageParameter } from '../platform/paging.js';
import { canSeeAgency, canSeeResults } from '../results/access.js';
import { allow, currentStaff, ForbiddenError, staffTranslator, verifyCsrf, type SignedInStaff } from '../staff/http.js';
import { appendAudit } from '../staff/store.js';
import { localize } from '../surveys/localize.js';
import { requireSurvey } from '../surveys/service.js';
import { listSurveys, type SurveyRecord } from '../surveys/store.js';
import { ACTION_STATUSES, canPlan, isOverdue, OWNER_MAX, PROGRESS_MAX, TITLE_MAX, type ActionProblem } from './actions.js';
import { ActionFormError, addAction, changeAction, removeAction, type ActionForm } from './service.js';
import { actionCounts, countSurveyActions, findAction, listAgencyActions, listSurveyActions, type ActionFilter, type ActionRecord } from './store.js';

/** Follow-up actions, beside the results: the survey's list (administrators and inspectors), an
 * agency's actions on its results page (views/followUp/agency-section.ejs, also its liaison's),
 * the form that adds or changes one, and the confirmation before deleting one. Seen by whoever
 * sees the results (results/access.ts). */

const ACTIONS_PER_PAGE = 50;

const actionForm = z.object({
  title: z.string().max(2000).catch(''),
  dimension: z.string().max(100).catch(''),
  owner: z.string().max(2000).catch(''),
  due_on: z.string().max(40).catch(''),
  status: z.string().max(40).catch(''),
  progress: z.string().max(10_000).catch(''),
});

const listFilters = z.object({
  status: z.enum([...ACTION_STATUSES, 'overdue']).optional().catch(undefined),
  q: z.string().max(100).optional().catch(undefined),
  page: pageParameter,
});

const actionId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

function typedForm(body: unknown): ActionForm {
  const form = actionForm.parse(body ?? {});
  return { title: form.title.trim(), dimension: form.dimension.trim(), owner: form.owner.trim(), dueOn: form.due_on.trim(), status: form.status.trim(), progress: form.progress.trim() };
}

export function followUpPages(db: Db, clock: Clock, settings: { timeZone: string }): Router {
  const router = Router();
  const today = () => dayIn(clock.now(), settings.timeZone);

  function visibleSurvey(request: Request, response: Response): SurveyRecord {
    const survey = requireSurvey(db, String(request.params.survey));
    if (!canSeeResults(currentStaff(response)!, survey.status)) throw new ForbiddenError();
    return survey;
  }

  function visibleAgency(request: Request, response: Response, survey: SurveyRecord) {
    const code = String(request.params.code);
    if (!canSeeAgency(currentStaff(response)!, code)) throw new ForbiddenError();
    const agency = findAgencyByCode(db, code);
    if (!agency) throw new NotFoundError(`No agency ${code}`);
    return agency;
  }

  function visibleAction(request: Request, response: Response, survey: SurveyRecord): ActionRecord {
    const parsed = actionId.safeParse(request.params.id);
    const action = parsed.success ? findAction(db, survey.id, parsed.data) : undefined;
    if (!action) throw new NotFoundError('No such follow-up action');
    if (!canSeeAgency(currentStaff(response)!, action.agencyCode)) throw new ForbiddenError();
    return action;
  }

  /** What every follow-up page shows an action with. */
  function locals(request: Request, response: Response, survey: SurveyRecord) {
    const { t, language } = staffTranslator(request, response);
    const staff = currentStaff(response)!;
    const day = today();
    const updated = dateFormat(language, { dateStyle: 'medium', timeStyle: 'short', timeZone: settings.timeZone });
    return {
      t,
      language,
      staff,
      survey,
      surveyTitle: localize(survey.definition.title, language),
      planner: canPlan(staff.role),
      statuses: ACTION_STATUSES,
      dimensions: survey.definition.dimensions.map((dimension) => ({ code: dimension.code, title: localize(dimension.title, language) || dimension.code })),
      dimensionTitle: dimensionTitleIn(survey, language, t),
      overdue: (action: ActionRecord) => isOverdue(action, day),
      dueText: dueTextIn(language),
      updatedText: (iso: string) => updated.format(new Date(iso)),
    };
  }

  // The survey's actions, filtered and a page at a time; a liaison goes to their agency's.
  router.get('/staff/results/:survey/actions', allow(), (request: Request, response: Response) => {
    const survey = visibleSurvey(request, response);
    const staff = currentStaff(response)!;
    if (staff.role === 'liaison') return response.redirect(303, `/staff/results/${survey.code}/agencies/${staff.agencyCode}#follow-up`);
    const filter = listFilters.parse(request.query);
    const search = filter.q?.trim() ?? '';
    const actionFilter: ActionFilter = { status: filter.status, search: search || undefined };
    const paging = pageOf(countSurveyActions(db, survey.id, actionFilter, today()), filter.page, ACTIONS_PER_PAGE);
    response.render('followUp/list', {
      ...locals(request, response, survey),
      wide: true,
      actions: listSurveyActions(db, survey.id, actionFilter, today(), { limit: paging.perPage, offset: paging.offset }),
      counts: actionCounts(db, survey.id, today()),
      filter: { status: filter.status ?? '', q: search },
      paging,
      hrefFor: (page: number) => pageHref(`/staff/results/${survey.code}/actions`, { status: filter.status, q: search }, page),
      deleted: request.query.deleted !== undefined,
    });
  });

  router.get('/staff/results/:survey/actions.csv', allow('administrator', 'inspector'), (request: Request, response: Response) => {
    const survey = visibleSurvey(request, response);
    const { t } = staffTranslator(request, response);
    const actions = listSurveyActions(db, survey.id, {}, today());
    appendAudit(db, { at: clock.now().toISOString(), actor: currentStaff(response)!.email, action: 'followup.export', detail: { survey: survey.code, actions: actions.length } });
    response.set('Content-Disposition', `attachment; filename="follow-up-${survey.code}.csv"`);
    response.type('text/csv; charset=utf-8');
    response.write('\uFEFF'); // spreadsheets read UTF-8 names correctly with a BOM
    response.write(csvLine(['agency_code', 'agency_name', 'dimension', 'title', 'owner', 'due_on', 'status', 'overdue', 'progress', 'updated_at', 'updated_by']));
    const day = today();
    for (const action of actions) {
      response.write(csvLine([action.agencyCode, action.agencyName, action.dimension, action.title, action.owner, action.dueOn, action.status, isOverdue(action, day) ? t('followup.yes') : '', action.progress, action.updatedAt, action.updatedBy]));
    }
    response.end();
  });

  const renderForm = (request: Request, response: Response, status: number, survey: SurveyRecord, subject: { agency: { code: string; name: string }; action?: ActionRecord }, form?: ActionForm, problems: ActionProblem[] = []) => {
    const common = locals(request, response, survey);
    const action = subject.action;
    response.status(status).render('followUp/form', {
      ...common,
      agency: subject.agency,
      action,
      form: form ?? {
        title: action?.title ?? '',
        dimension: action?.dimension ?? '',
        owner: action?.owner ?? '',
        dueOn: action?.dueOn ?? '',
        status: action?.status ?? 'planned',
        progress: action?.progress ?? '',
      },
      problems: problems.map((problem) => ({ field: problem.field, message: common.t(problem.key, problem.values) })),
      limits: { title: TITLE_MAX, owner: OWNER_MAX, progress: PROGRESS_MAX },
      formAction: action ? `/staff/results/${survey.code}/actions/${action.id}` : `/staff/results/${survey.code}/agencies/${subject.agency.code}/actions`,
    });
  };

  const agencyHref = (survey: SurveyRecord, agencyCode: string, query = '') => `/staff/results/${survey.code}/agencies/${agencyCode}${query}#follow-up`;

  router.get('/staff/results/:survey/agencies/:code/actions/new', allow('administrator', 'inspector'), (request: Request, response: Response) => {
    const survey = visibleSurvey(request, response);
    renderForm(request, response, 200, survey, { agency: visibleAgency(request, response, survey) });
  });

  router.post('/staff/results/:survey/agencies/:code/actions', allow('administrator', 'inspector'), verifyCsrf, (request: Request, response: Response) => {
    const survey = visibleSurvey(request, response);
    const agency = visibleAgency(request, response, survey);
    const form = typedForm(request.body);
    const staff = currentStaff(response)!;
    try {
      const id = addAction(db, clock, survey, agency.id, form, staff.email);
      appendAudit(db, { at: clock.now().toISOString(), actor: staff.email, action: 'followup.added', detail: { survey: survey.code, agency: agency.code, action: id } });
      response.redirect(303, agencyHref(survey, agency.code, '?action=added'));
    } catch (error) {
      if (error instanceof ActionFormError) return renderForm(request, response, 422, survey, { agency }, form, error.actionProblems);
      throw error;
    }
  });

  router.get('/staff/results/:survey/actions/:id', allow(), (request: Request, response: Response) => {
    const survey = visibleSurvey(request, response);
    const action = visibleAction(request, response, survey);
    renderForm(request, response, 200, survey, { agency: { code: action.agencyCode, name: action.agencyName }, action });
  });

  router.post('/staff/results/:survey/actions/:id', allow(), verifyCsrf, (request: Request, response: Response) => {
    const survey = visibleSurvey(request, response);
    const action = visibleAction(request, response, survey);
    const staff: SignedInStaff = currentStaff(response)!;
    const form = typedForm(request.body);
    try {
      const changed = changeAction(db, clock, survey, action, form, staff);
      if (changed.length > 0) appendAudit(db, { at: clock.now().toISOString(), actor: staff.email, action: 'followup.changed', detail: { survey: survey.code, agency: action.agencyCode, action: action.id, changed } });
      response.redirect(303, agencyHref(survey, action.agencyCode, '?action=changed'));
    } catch (error) {
      // a liaison's form does not send what they may not change: show it as planned
      const shown = canPlan(staff.role) ? form : { ...form, title: action.title, dimension: action.dimension ?? '', owner: action.owner ?? '', dueOn: action.dueOn };
      if (error instanceof ActionFormError) return renderForm(request, response, 422, survey, { agency: { code: action.agencyCode, name: action.agencyName }, action }, shown, error.actionProblems);
      throw error;
    }
  });

  router.get('/staff/results/:survey/actions/:id/delete', allow('administrator', 'inspector'), (request: Request, response: Response) => {
    const survey = visibleSurvey(request, response);
    const action = visibleAction(request, response, survey);
    response.render('followUp/delete', { ...locals(request, response, survey), action });
  });

  router.post('/staff/results/:survey/actions/:id/delete', allow('administrator', 'inspector'), verifyCsrf, (request: Request, response: Response) => {
    const survey = visibleSurvey(request, response);
    const action = visibleAction(request, response, survey);
    removeAction(db, action);
    appendAudit(db, { at: clock.now().toISOString(), actor: currentStaff(response)!.email, action: 'followup.deleted', detail: { survey: survey.code, agency: action.agencyCode, action: action.id, title: action.title } });
    response.redirect(303, agencyHref(survey, action.agencyCode, '?action=deleted'));
  });

  return router;
}

/** The agency results page's section (views/followUp/agency-section.ejs): the agency's actions
 * and what this staff member may do with them. `notice`: the page's ?action= after a change. */
export function agencyFollowUp(
  db: Db,
  clock: Clock,
  timeZone: string,
  context: { survey: SurveyRecord; agencyId: number; staff: SignedInStaff; t: Translate; language: string },
  notice: unknown,
) {
  const { survey, t, language } = context;
  const day = dayIn(clock.now(), timeZone);
  const actions = listAgencyActions(db, survey.id, context.agencyId);
  // what became of the agency's actions of the latest earlier round this staff member may see
  let previous: { code: string; title: string; counts: ReturnType<typeof actionCounts> } | undefined;
  for (const round of listSurveys(db)) {
    if (round.opensOn >= survey.opensOn || round.id === survey.id || !canSeeResults(context.staff, round.status)) continue;
    const counts = actionCounts(db, round.id, day, context.agencyId);
    if (counts.total === 0) continue;
    previous = { code: round.code, title: localize(round.definition.title, language), counts };
    break;
  }
  const notices: Record<string, string> = { added: t('followup.added'), changed: t('followup.changed'), deleted: t('followup.deleted') };
  return {
    actions,
    planner: canPlan(context.staff.role),
    overdueCount: actions.filter((action) => isOverdue(action, day)).length,
    overdue: (action: ActionRecord) => isOverdue(action, day),
    dimensionTitle: dimensionTitleIn(survey, language, t),
    dueText: dueTextIn(language),
    notice: typeof notice === 'string' ? (notices[notice] ?? null) : null,
    previous,
  };
}

function dimensionTitleIn(survey: SurveyRecord, language: string, t: Translate) {
  return (code: string | null) => (code ? localize(survey.definition.dimensions.find((dimension) => dimension.code === code)?.title, language) || code : t('followup.whole_agency'));
}

/** A due day as the staff member reads dates ("3 Des 2026"); it is a calendar day, so in UTC. */
function dueTextIn(language: string) {
  const format = dateFormat(language, { dateStyle: 'medium', timeZone: 'UTC' });
  return (dueOn: string) => format.format(new Date(`${dueOn}T00:00:00Z`));
}
