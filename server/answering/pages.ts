import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { formatDay, translator, type Translate } from '../platform/i18n.js';
import { NotFoundError } from '../platform/errors.js';
import { localize } from '../surveys/localize.js';
import { SUPPORTED_LANGUAGES } from '../surveys/schema.js';
import { adjacentPage, findIncompleteItems, pageOfItem, questionnaireItems, visibleItemCodes, type Answers } from './rules.js';
import {
  AnswerProblemsError,
  recordVisit,
  resolveInvitation,
  saveAnswers,
  submitQuestionnaire,
  type AnsweringContext,
  type InvitationState,
  type OpenInvitation,
} from './service.js';
import { pageItemViews, problemMessage } from './viewModel.js';

/** The respondent's pages under /r/{token}: they work without JavaScript; public/respond.js
 * only adds autosave, an offline copy and live skip logic. */

const languageQuery = z.object({ lang: z.enum(SUPPORTED_LANGUAGES).optional() });
const pageParam = z.coerce.number().int().min(1).max(500);

function wantedLanguage(request: Request): string | undefined {
  const parsed = languageQuery.safeParse(request.query);
  return parsed.success ? parsed.data.lang : undefined;
}

function baseLocals(request: Request, language: string, languages: readonly string[]) {
  const t = translator(language);
  const path = request.path;
  return {
    t,
    language,
    languageLinks: languages.map((code) => ({ code, label: t(`lang.${code as 'id' | 'en'}`), href: `${request.baseUrl}${path}?lang=${code}`, current: code === language })),
  };
}

/** Pages for everything but an open questionnaire: unknown link, submitted, not open, closed. */
function renderState(request: Request, response: Response, found: Exclude<InvitationState, { state: 'open' }>): void {
  if (found.state === 'unknown') {
    const t = translator('id');
    response.status(404).render('answering/notice', { t, language: 'id', kind: 'unknown', heading: t('unknown.heading'), body: t('unknown.body') });
    return;
  }
  const locals = baseLocals(request, found.language, found.survey.definition.languages);
  const t = locals.t;
  const surveyTitle = localize(found.survey.definition.title, found.language);
  if (found.state === 'completed') {
    response.status(409).render('answering/notice', { ...locals, kind: 'completed', surveyTitle, heading: t('completed.heading'), body: t('completed.body'), receiptCode: found.receiptCode });
    return;
  }
  const date = formatDay(found.state === 'closed' ? found.survey.closesOn : found.survey.opensOn, found.language);
  response.status(410).render('answering/notice', { ...locals, kind: found.state, surveyTitle, heading: t(`${found.state}.heading`), body: t(`${found.state}.body`, { date }) });
}

function firstIncompletePage(open: OpenInvitation): number | null {
  const incomplete = findIncompleteItems(open.questionnaire, open.answers);
  return incomplete.length === 0 ? null : pageOfItem(open.questionnaire, incomplete[0]!.item) + 1;
}

export function answeringPages(context: AnsweringContext): Router {
  const router = Router();

  router.use('/r/:token', (_request, response, next) => {
    // Pages carry answers: never cached, never sent as a referrer (the token is in the URL).
    response.set('Cache-Control', 'no-store');
    response.set('Referrer-Policy', 'no-referrer');
    next();
  });

  /** Resolves the token and renders the state page unless the questionnaire is open. */
  function withOpenInvitation(handler: (open: OpenInvitation, request: Request, response: Response, token: string) => void) {
    return (request: Request<{ token: string }>, response: Response) => {
      const token = request.params.token;
      const found = resolveInvitation(context, token, wantedLanguage(request));
      if (found.state !== 'open') return renderState(request, response, found);
      if (request.method === 'GET') recordVisit(context, found, wantedLanguage(request));
      handler(found, request, response, token);
    };
  }

  router.get(
    '/r/:token',
    withOpenInvitation((open, request, response, token) => {
      const locals = baseLocals(request, open.language, open.survey.definition.languages);
      const resuming = Object.keys(open.answers).length > 0;
      const resumePage = resuming ? firstIncompletePage(open) : 1;
      response.render('answering/welcome', {
        ...locals,
        surveyTitle: localize(open.survey.definition.title, open.language),
        agencyName: open.invitation.agencyName,
        introParagraphs: localize(open.questionnaire.intro, open.language).split(/\n\s*\n/),
        pageCount: open.questionnaire.pages.length,
        itemCount: questionnaireItems(open.questionnaire).length,
        closesOn: formatDay(open.survey.closesOn, open.language),
        resuming,
        startHref: resumePage === null ? `/r/${token}/review` : `/r/${token}/p/${resumePage}`,
      });
    }),
  );

  function renderPage(
    request: Request,
    response: Response,
    open: OpenInvitation,
    token: string,
    pageNumber: number,
    extra: { status?: number; problems?: AnswerProblemsError['problems']; posted?: Record<string, unknown>; moreQuestions?: boolean } = {},
  ): void {
    const locals = baseLocals(request, open.language, open.survey.definition.languages);
    const items = pageItemViews(open.questionnaire, pageNumber - 1, open.answers, open.language, locals.t, extra.problems, extra.posted);
    response.status(extra.status ?? 200).render('answering/page', {
      ...locals,
      token,
      pageNumber,
      pageCount: open.questionnaire.pages.length,
      isLastPage: adjacentPage(open.questionnaire, open.answers, pageNumber, 1) === null,
      pageHeading: localize(open.questionnaire.pages[pageNumber - 1]!.title, open.language),
      items,
      errorCount: items.filter((item) => item.error).length,
      moreQuestions: extra.moreQuestions ?? false,
      actionHref: `/r/${token}/p/${pageNumber}`,
      apiHref: `/api/v1/respond/${token}/answers`,
      scripts: ['respond.js'],
    });
  }

  function requirePage(open: OpenInvitation, raw: string): number {
    const parsed = pageParam.safeParse(raw);
    if (!parsed.success || parsed.data > open.questionnaire.pages.length) throw new NotFoundError('No such page');
    return parsed.data;
  }

  router.get(
    '/r/:token/p/:page',
    withOpenInvitation((open, request, response, token) => {
      const pageNumber = requirePage(open, String(request.params.page));
      renderPage(request, response, open, token, pageNumber, { moreQuestions: request.query.more === '1' });
    }),
  );

  router.post(
    '/r/:token/p/:page',
    withOpenInvitation((open, request, response, token) => {
      const pageNumber = requirePage(open, String(request.params.page));
      const page = open.questionnaire.pages[pageNumber - 1]!;
      const body = (request.body ?? {}) as Record<string, unknown>;
      // A page form holds every answer of its page: a field left empty clears that answer.
      const patch: Record<string, unknown> = {};
      for (const item of page.items) patch[item.code] = body[`q:${item.code}`] ?? null;
      let saved: OpenInvitation;
      try {
        saved = saveAnswers(context, token, patch).open;
      } catch (error) {
        if (error instanceof AnswerProblemsError) {
          return renderPage(request, response, open, token, pageNumber, { status: 422, problems: error.problems, posted: patch });
        }
        throw error;
      }
      const shownBefore = visibleItemCodes(open.questionnaire, open.answers);
      const shownNow = visibleItemCodes(saved.questionnaire, saved.answers);
      const newlyShown = page.items.find((item) => shownNow.has(item.code) && !shownBefore.has(item.code) && saved.answers[item.code] === undefined);
      const goingBack = body.nav === 'back';
      if (newlyShown && !goingBack) return response.redirect(303, `/r/${token}/p/${pageNumber}?more=1#item-${newlyShown.code}`);
      const target = adjacentPage(saved.questionnaire, saved.answers, pageNumber, goingBack ? -1 : 1);
      if (target !== null) return response.redirect(303, `/r/${token}/p/${target}`);
      response.redirect(303, goingBack ? `/r/${token}` : `/r/${token}/review`);
    }),
  );

  function renderReview(request: Request, response: Response, open: OpenInvitation, token: string, status = 200): void {
    const locals = baseLocals(request, open.language, open.survey.definition.languages);
    const t: Translate = locals.t;
    const shown = visibleItemCodes(open.questionnaire, open.answers);
    const itemsShown = questionnaireItems(open.questionnaire).filter((item) => shown.has(item.code));
    const missing = findIncompleteItems(open.questionnaire, open.answers).map((problem) => {
      const pageNumber = pageOfItem(open.questionnaire, problem.item) + 1;
      const item = itemsShown.find((candidate) => candidate.code === problem.item)!;
      return { pageNumber, text: localize(item.text, open.language), message: problemMessage(problem, t), href: `/r/${token}/p/${pageNumber}#item-${problem.item}` };
    });
    response.status(status).render('answering/review', {
      ...locals,
      token,
      answeredCount: itemsShown.filter((item) => (open.answers as Answers)[item.code] !== undefined).length,
      shownCount: itemsShown.length,
      missing,
      submitHref: `/r/${token}/submit`,
      backHref: `/r/${token}/p/${adjacentPage(open.questionnaire, open.answers, open.questionnaire.pages.length + 1, -1) ?? 1}`,
      apiHref: `/api/v1/respond/${token}/answers`,
      scripts: ['respond.js'],
    });
  }

  router.get(
    '/r/:token/review',
    withOpenInvitation((open, request, response, token) => renderReview(request, response, open, token)),
  );

  router.post(
    '/r/:token/submit',
    withOpenInvitation((open, request, response, token) => {
      try {
        submitQuestionnaire(context, token);
      } catch (error) {
        if (error instanceof AnswerProblemsError) return renderReview(request, response, open, token, 422);
        throw error;
      }
      response.redirect(303, `/r/${token}/thanks`);
    }),
  );

  router.get('/r/:token/thanks', (request: Request<{ token: string }>, response: Response) => {
    const found = resolveInvitation(context, request.params.token, wantedLanguage(request));
    if (found.state !== 'completed') {
      if (found.state === 'open') return response.redirect(303, `/r/${request.params.token}`);
      return renderState(request, response, found);
    }
    const locals = baseLocals(request, found.language, found.survey.definition.languages);
    response.render('answering/notice', {
      ...locals,
      kind: 'thanks',
      surveyTitle: localize(found.survey.definition.title, found.language),
      heading: locals.t('thanks.heading'),
      body: locals.t('thanks.body'),
      receiptCode: found.receiptCode,
      clearDraftToken: request.params.token,
      scripts: ['respond.js'],
    });
  });

  return router;
}
