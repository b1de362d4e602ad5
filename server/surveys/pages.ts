import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { importAgencies } from '../agencies/service.js';
import type { ComposeSettings } from '../invitations/compose.js';
import { previewMessage } from '../invitations/preview.js';
import { queueInvitations } from '../invitations/sending.js';
import { drainMinutes, sendingEstimate, zoneShares, type SendingPace } from '../invitations/sendingHours.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { AppError, ValidationError } from '../platform/errors.js';
import { formatCount } from '../platform/i18n.js';
import { formatProblem, PROBLEMS_SHOWN, problemsToShow, type ImportReport } from '../platform/tabular.js';
import { requireFile } from '../platform/upload.js';
import { erasureStatus } from '../respondents/erasurePages.js';
import { importRespondents } from '../respondents/service.js';
import { countRespondents, findContactErasure } from '../respondents/store.js';
import { allow, currentStaff, ForbiddenError, readStaffUpload, staffTranslator, verifyCsrf, type SignedInStaff } from '../staff/http.js';
import { appendAudit } from '../staff/store.js';
import { localize } from './localize.js';
import type { SurveyRecord } from './store.js';
import { changeSurveyStatus, loadSurveyDefinition, parseDefinitionText, requireSurvey } from './service.js';

/** Everything the CLI does to a survey, in the browser: load a definition, open and close,
 * import agencies and respondents (with a progress bar), and send invitations (count and a
 * rendered preview first, then a confirmation). Liaisons act on their own agency only. */

/** `SendingPace`: for how long a sending will take. */
export interface ManageSettings extends SendingPace {
  secretKey: Buffer;
  compose: ComposeSettings;
  whatsappConfigured: boolean;
}

/** The path segment that stands for "a survey not loaded yet". Survey codes are 2–40 characters of
 * [A-Za-z0-9_-], so the underscore-led name cannot clash with a real code someone would choose. */
const NEW = '_new';

export function managePages(db: Db, clock: Clock, settings: ManageSettings): Router {
  const router = Router();
  const audit = (staff: SignedInStaff, action: string, detail: Record<string, unknown>) => appendAudit(db, { at: clock.now().toISOString(), actor: staff.email, action, detail });

  function renderManage(request: Request, response: Response, status = 200, notice: { message?: string; problems?: { field: string; message: string }[]; error?: string } = {}) {
    const { t, language } = staffTranslator(request, response);
    if (request.params.survey === NEW) {
      // no survey yet: the form to load the first definition, with the problems of the last try
      return response.status(status).render('manage/load', { t, language, staff: currentStaff(response)!, wide: true, notice, scripts: ['upload.js'] });
    }
    const survey = requireSurvey(db, String(request.params.survey));
    // once closed: whether its respondents' personal data is still kept (respondents/erasure.ts)
    const erasure = survey.status === 'closed' ? findContactErasure(db, survey.id) : undefined;
    response.status(status).render('manage/survey', {
      t,
      language,
      staff: currentStaff(response)!,
      wide: true,
      survey,
      surveyTitle: localize(survey.definition.title, language),
      notice,
      timeZone: settings.timeZone,
      personalData:
        survey.status === 'closed'
          ? { erased: Boolean(erasure?.finishedAt), status: erasure && erasureStatus(erasure, language, settings.timeZone, t), respondents: countRespondents(db, survey.id) }
          : null,
      scripts: ['upload.js', 'staff.js'],
    });
  }

  function renderReport(request: Request, response: Response, backHref: string, report: ImportReport | null, refused?: string) {
    const { t, language } = staffTranslator(request, response);
    response.status(refused ? 422 : 200).render('manage/report', {
      t,
      language,
      staff: currentStaff(response)!,
      wide: true,
      report,
      errors: report ? problemsToShow(report.errors, PROBLEMS_SHOWN) : null,
      duplicates: report ? problemsToShow(report.duplicateLines, PROBLEMS_SHOWN) : null,
      notices: report ? problemsToShow(report.notices, PROBLEMS_SHOWN) : null,
      refused,
      backHref,
      formatProblem,
    });
  }

  router.get('/staff/surveys/:survey/manage', allow('administrator', 'liaison'), (request, response) => {
    if (request.params.survey === NEW && currentStaff(response)!.role !== 'administrator') throw new ForbiddenError();
    const erased = z.coerce.number().int().min(0).optional().catch(undefined).parse(request.query.erased);
    const { t, language } = staffTranslator(request, response);
    renderManage(request, response, 200, erased === undefined ? {} : { message: t('erase.finished', { count: formatCount(erased, language) }) });
  });

  router.post('/staff/surveys/:survey/definition', allow('administrator'), async (request: Request, response: Response) => {
    const upload = await readStaffUpload(request, response);
    try {
      const { survey, outcome } = loadSurveyDefinition(db, clock, parseDefinitionText(requireFile(upload).toString('utf8')));
      audit(currentStaff(response)!, 'survey.load', { survey: survey.code, outcome, version: survey.version });
      const { t } = staffTranslator(request, response);
      request.params.survey = survey.code;
      renderManage(request, response, 200, { message: t('manage.loaded', { code: survey.code, outcome, status: survey.status, version: survey.version }) });
    } catch (error) {
      if (error instanceof ValidationError) return renderManage(request, response, 422, { error: error.message, problems: error.problems });
      if (error instanceof AppError) return renderManage(request, response, error.status, { error: error.message });
      throw error;
    }
  });

  router.post('/staff/surveys/:survey/status', allow('administrator'), verifyCsrf, (request: Request, response: Response) => {
    const wanted = z.object({ status: z.enum(['open', 'closed']) }).safeParse(request.body);
    if (!wanted.success) return renderManage(request, response, 422, { error: 'status must be open or closed' });
    const survey = changeSurveyStatus(db, clock, String(request.params.survey), wanted.data.status);
    audit(currentStaff(response)!, `survey.${wanted.data.status === 'open' ? 'open' : 'close'}`, { survey: survey.code });
    renderManage(request, response, 200, { message: `${survey.code}: ${staffTranslator(request, response).t(`staff.status.${survey.status}`)}` });
  });

  /** An uploaded import: the CSRF token, the file, the report or the reason it was refused whole. */
  /** Reads an uploaded file and runs an import with it; a file refused whole is said on the report
   * page, with a way back to `backHref`. */
  async function importUpload(request: Request, response: Response, backHref: string, run: (content: Buffer, fileName: string | null) => Promise<void>): Promise<void> {
    const upload = await readStaffUpload(request, response);
    try {
      await run(requireFile(upload), upload.fileName);
    } catch (error) {
      if (error instanceof AppError) return renderReport(request, response, backHref, null, error.message);
      throw error;
    }
  }

  async function handleImport(request: Request, response: Response, run: (survey: SurveyRecord, content: Buffer, fileName: string | null) => Promise<void>): Promise<void> {
    const survey = requireSurvey(db, String(request.params.survey));
    await importUpload(request, response, `/staff/surveys/${survey.code}/manage`, (content, fileName) => run(survey, content, fileName));
  }

  // Agencies are one registry for every survey: imported from a survey's manage page, or from the
  // registry's own page (agencies/pages.ts), each report leading back where it came from.
  const importAgencyFile = async (request: Request, response: Response, backHref: string, content: Buffer, fileName: string | null) => {
    const report = await importAgencies(db, clock, content);
    audit(currentStaff(response)!, 'agencies.import', { file: fileName, rows: report.rows, stored: report.stored, updated: report.updated, rejected: report.rejected });
    renderReport(request, response, backHref, report);
  };

  router.post('/staff/surveys/:survey/agencies', allow('administrator'), (request: Request, response: Response) =>
    handleImport(request, response, (survey, content, fileName) => importAgencyFile(request, response, `/staff/surveys/${survey.code}/manage`, content, fileName)),
  );

  router.post('/staff/agencies', allow('administrator'), (request: Request, response: Response) =>
    importUpload(request, response, '/staff/agencies', (content, fileName) => importAgencyFile(request, response, '/staff/agencies', content, fileName)),
  );

  router.post('/staff/surveys/:survey/respondents', allow('administrator', 'liaison'), (request: Request, response: Response) =>
    handleImport(request, response, async (survey, content, fileName) => {
      const staff = currentStaff(response)!;
      const report = await importRespondents(db, clock, settings.secretKey, survey.code, content, staff.role === 'liaison' ? staff.agencyCode! : undefined);
      audit(staff, 'respondents.import', { survey: survey.code, file: fileName, rows: report.rows, stored: report.stored, duplicates: report.duplicates, rejected: report.rejected });
      renderReport(request, response, `/staff/surveys/${survey.code}/manage`, report);
    }),
  );

  router.get('/staff/surveys/:survey/invitations', allow('administrator', 'liaison'), async (request: Request, response: Response) => {
    const survey = requireSurvey(db, String(request.params.survey));
    const staff = currentStaff(response)!;
    const { t, language } = staffTranslator(request, response);
    if (survey.status !== 'open') return renderManage(request, response, 409, { error: t('manage.not_open') });
    const agencyCode = staff.role === 'liaison' ? staff.agencyCode! : undefined;
    const plan = await queueInvitations(db, clock, { surveyCode: survey.code, agencyCode, dryRun: true }, settings.whatsappConfigured);
    const preview = await previewMessage(db, settings.compose, survey, plan.first, 'invitation');
    // with sending hours, each agency's share leaves within its own zone's hours
    const pace = { ...settings, zoneShares: settings.sendingHours && zoneShares(plan.queuedByZone, settings.timeZone) };
    const eta = sendingEstimate(drainMinutes(plan.queued, settings.ratesPerSecond), clock.now(), pace, language, t, { plain: 'manage.invitations_eta', withHours: 'manage.invitations_eta_hours' });
    response.render('manage/invitations', { t, language, staff, wide: true, survey, plan, preview, eta, total: plan.queued.email + plan.queued.whatsapp });
  });

  router.post('/staff/surveys/:survey/invitations', allow('administrator', 'liaison'), verifyCsrf, async (request: Request, response: Response) => {
    const survey = requireSurvey(db, String(request.params.survey));
    const staff = currentStaff(response)!;
    if (survey.status !== 'open') return renderManage(request, response, 409, { error: staffTranslator(request, response).t('manage.not_open') });
    const agencyCode = staff.role === 'liaison' ? staff.agencyCode! : undefined;
    const result = await queueInvitations(db, clock, { surveyCode: survey.code, agencyCode }, settings.whatsappConfigured);
    const count = result.queued.email + result.queued.whatsapp;
    audit(staff, 'invitations.send', { survey: survey.code, agency: agencyCode ?? null, email: result.queued.email, whatsapp: result.queued.whatsapp });
    response.redirect(303, agencyCode ? `/staff/monitoring/${survey.code}/agencies/${agencyCode}?invited=${count}` : `/staff/monitoring/${survey.code}?invited=${count}`);
  });

  return router;
}
