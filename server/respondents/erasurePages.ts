import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { dateFormat, formatCount, type Translate } from '../platform/i18n.js';
import { allow, currentStaff, staffTranslator, verifyCsrf } from '../staff/http.js';
import { appendAudit } from '../staff/store.js';
import { localize } from '../surveys/localize.js';
import { requireSurvey } from '../surveys/service.js';
import type { SurveyRecord } from '../surveys/store.js';
import { eraseContacts, requireErasable, type ContactErasure } from './erasure.js';
import { erasureScope, findContactErasure } from './store.js';

/** The erasure of a closed round's personal data (erasure.ts): the confirmation page, which says
 * what goes and what stays and asks for the survey's code typed out, and the erasure itself. For
 * administrators. The survey's manage page shows where it stands (erasureStatus). */

const confirmation = z.object({ confirm: z.string().max(200).catch('') });

export function erasurePages(db: Db, clock: Clock, settings: { timeZone: string }): Router {
  const router = Router();

  function renderConfirmation(request: Request, response: Response, survey: SurveyRecord, status = 200, typed = '') {
    const { t, language } = staffTranslator(request, response);
    const erasure = findContactErasure(db, survey.id);
    requireErasable(survey, erasure);
    const erasing = erasureScope(db, survey.id);
    response.status(status).render('manage/erase', {
      t,
      language,
      staff: currentStaff(response)!,
      survey,
      surveyTitle: localize(survey.definition.title, language),
      erasing,
      interrupted: erasure && erasureStatus(erasure, language, settings.timeZone, t),
      typed,
      problems: status === 422 ? [{ message: t('erase.confirm_mismatch', { code: survey.code }) }] : [],
      scripts: ['staff.js'],
    });
  }

  router.get('/staff/surveys/:survey/erase', allow('administrator'), (request: Request, response: Response) => {
    renderConfirmation(request, response, requireSurvey(db, String(request.params.survey)));
  });

  router.post('/staff/surveys/:survey/erase', allow('administrator'), verifyCsrf, async (request: Request, response: Response) => {
    const survey = requireSurvey(db, String(request.params.survey));
    const typed = confirmation.parse(request.body).confirm.trim();
    if (typed !== survey.code) return renderConfirmation(request, response, survey, 422, typed);
    const staff = currentStaff(response)!;
    const { erased } = await eraseContacts(db, clock, survey.code, staff.email, settings.timeZone);
    appendAudit(db, { at: clock.now().toISOString(), actor: staff.email, action: 'respondents.erased', detail: { survey: survey.code, respondents: erased } });
    response.redirect(303, `/staff/surveys/${survey.code}/manage?erased=${erased}`);
  });

  return router;
}

/** The sentence that says an erasure was done (or started and not finished), by whom and when. */
export function erasureStatus(erasure: ContactErasure, language: string, timeZone: string, t: Translate): string {
  const day = dateFormat(language, { dateStyle: 'medium', timeZone }).format(new Date(erasure.finishedAt ?? erasure.startedAt));
  return erasure.finishedAt ? t('erase.done', { count: formatCount(erasure.respondents, language), day, actor: erasure.erasedBy }) : t('erase.interrupted', { day, actor: erasure.erasedBy });
}
