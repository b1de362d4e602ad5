import { Router, type Request, type Response } from 'express';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { NotFoundError } from '../platform/errors.js';
import { translator } from '../platform/i18n.js';
import { pickLanguage } from '../surveys/localize.js';
import { findSurveyById } from '../surveys/store.js';
import { optOutInvitation } from './sending.js';
import { findInvitationByToken } from './store.js';
import { hashInvitationToken, isWellFormedToken } from './tokens.js';

/** Opt-out link of every message: GET asks for confirmation (mail scanners follow links, so a
 * GET changes nothing); POST opts out, which is also the RFC 8058 one-click unsubscribe. */
export function optOutPages(db: Db, clock: Clock): Router {
  const router = Router();

  function find(request: Request<{ token: string }>) {
    const token = request.params.token;
    const invitation = isWellFormedToken(token) ? findInvitationByToken(db, hashInvitationToken(token)) : undefined;
    if (!invitation) throw new NotFoundError('This link is not valid.');
    const survey = findSurveyById(db, invitation.surveyId)!;
    const wanted = typeof request.query.lang === 'string' ? request.query.lang : undefined;
    return { invitation, language: pickLanguage(survey.definition, wanted, invitation.language) };
  }

  router.get('/r/:token/opt-out', (request: Request<{ token: string }>, response: Response) => {
    const { language } = find(request);
    const t = translator(language);
    response.render('invitations/opt-out', { t, language, done: false, heading: t('optout.heading'), body: t('optout.body'), actionHref: `/r/${request.params.token}/opt-out` });
  });

  router.post('/r/:token/opt-out', (request: Request<{ token: string }>, response: Response) => {
    const { invitation, language } = find(request);
    optOutInvitation(db, clock, invitation.id);
    const t = translator(language);
    response.render('invitations/opt-out', { t, language, done: true, heading: t('optout.done_heading'), body: t('optout.done_body') });
  });

  return router;
}
