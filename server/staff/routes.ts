import { findPublication } from '../results/publication.js';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { dayIn, type Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { listSurveys } from '../surveys/store.js';
import { localize } from '../surveys/localize.js';
import { allow, currentStaff, parseCookies, SESSION_COOKIE, staffTranslator, verifyCsrf } from './http.js';
import { LoginThrottledError, SESSION_HOURS, StaffAuthenticator } from './service.js';
import { canSeeResults } from '../results/access.js';
import { findContactErasure } from '../respondents/store.js';
import { DUE_SOON_DAYS, followUpAttention } from '../followUp/service.js';

const loginBody = z.object({ email: z.string().max(254), password: z.string().max(200), next: z.string().max(500).optional() });

/** Only a path inside the staff area is a safe place to go after signing in. */
function safeNext(next: string | undefined): string {
  return next && /^\/staff(\/|$)/.test(next) && !next.startsWith('//') ? next : '/staff';
}

const LOGIN_COOKIE = 'integritas_login';

export function staffRoutes(db: Db, clock: Clock, settings: { secureCookies: boolean; timeZone: string }, authenticator = new StaffAuthenticator(db, clock)): Router {
  const { secureCookies } = settings;
  const router = Router();
  router.use('/staff', (_request, response, next) => {
    response.set('Cache-Control', 'no-store');
    next();
  });

  /** The sign-in form has its own CSRF token before any session exists (double submit: a cookie only
   * this site can set, SameSite=Strict, and the same value in the form), so no other site can sign a
   * browser in to an account of its choosing. A fresh token with every form shown. */
  const renderLogin = (request: Request, response: Response, status: number, error?: string) => {
    const { t, language } = staffTranslator(request, response);
    const loginToken = randomBytes(18).toString('base64url');
    response.cookie(LOGIN_COOKIE, loginToken, { httpOnly: true, sameSite: 'strict', secure: secureCookies, path: '/staff/login', maxAge: 2 * 3600 * 1000 });
    response.status(status).render('staff/login', { t, language, error, loginToken, next: safeNext(typeof request.query.next === 'string' ? request.query.next : (request.body as { next?: string } | undefined)?.next) });
  };
  const loginTokenMatches = (request: Request): boolean => {
    const cookie = Buffer.from(parseCookies(request.headers.cookie)[LOGIN_COOKIE] ?? '');
    const sent = (request.body as { _csrf?: unknown } | undefined)?._csrf;
    return cookie.length >= 24 && typeof sent === 'string' && Buffer.byteLength(sent) === cookie.length && timingSafeEqual(cookie, Buffer.from(sent));
  };

  router.get('/staff/login', (request, response) => renderLogin(request, response, 200));

  router.post('/staff/login', async (request, response) => {
    const body = loginBody.safeParse(request.body);
    const { t } = staffTranslator(request, response);
    if (!loginTokenMatches(request)) return renderLogin(request, response, 403, t('staff.form_expired'));
    if (!body.success) return renderLogin(request, response, 422, t('staff.sign_in_failed'));
    let signedIn;
    try {
      signedIn = await authenticator.signIn(body.data.email, body.data.password, request.ip ?? 'unknown');
    } catch (error) {
      if (error instanceof LoginThrottledError) {
        response.set('Retry-After', String(error.retryAfterSeconds));
        return renderLogin(request, response, 429, t('staff.sign_in_throttled'));
      }
      throw error;
    }
    if (!signedIn) return renderLogin(request, response, 401, t('staff.sign_in_failed'));
    // The session id is new at every sign-in; an old one (fixation attempt or not) is dropped.
    const previous = response.locals.sessionId as string | undefined;
    if (previous) authenticator.signOut(previous, body.data.email);
    response.cookie(SESSION_COOKIE, signedIn.sessionId, { httpOnly: true, sameSite: 'lax', secure: secureCookies, path: '/', maxAge: SESSION_HOURS * 3600 * 1000 });
    response.redirect(303, safeNext(body.data.next));
  });

  router.post('/staff/logout', allow(), verifyCsrf, (_request, response) => {
    authenticator.signOut(response.locals.sessionId as string, currentStaff(response)!.email);
    response.clearCookie(SESSION_COOKIE, { path: '/' });
    response.redirect(303, '/staff/login');
  });

  router.get('/staff', allow(), (request, response) => {
    const { t, language } = staffTranslator(request, response);
    const staff = currentStaff(response)!;
    const today = dayIn(clock.now(), settings.timeZone);
    const surveys = listSurveys(db).map((survey) => {
      // follow-up actions overdue or falling due, for whoever sees them (a liaison: their agency's)
      const resultsVisible = canSeeResults(staff, survey.status);
      const followUp = resultsVisible ? followUpAttention(db, survey.id, today, staff.role === 'liaison' ? (staff.agencyId ?? -1) : undefined) : undefined;
      return {
        code: survey.code,
        title: localize(survey.definition.title, language),
        status: survey.status,
        period: `${survey.opensOn} – ${survey.closesOn}`,
        resultsVisible,
        published: survey.status === 'closed' && findPublication(db, survey.id) !== undefined,
        // a closed round whose respondents' personal data is still kept: administrators are reminded to erase it
        personalDataKept: staff.role === 'administrator' && survey.status === 'closed' && !findContactErasure(db, survey.id)?.finishedAt,
        followUp,
        followUpHref:
          staff.role === 'liaison' ? `/staff/results/${survey.code}/agencies/${staff.agencyCode}#follow-up` : `/staff/results/${survey.code}/actions${followUp?.overdue ? '?status=overdue' : ''}`,
      };
    });
    response.render('staff/home', { t, language, staff, surveys, dueSoonDays: DUE_SOON_DAYS });
  });

  return router;
}
