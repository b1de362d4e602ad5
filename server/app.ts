import compression from 'compression';
import express, { type Express } from 'express';
import { answeringPages } from './answering/pages.js';
import { respondentApi } from './answering/api.js';
import { resultsPages } from './results/pages.js';
import { monitoringPages } from './monitoring/pages.js';
import { erasurePages } from './respondents/erasurePages.js';
import { staffSession } from './staff/http.js';
import { staffRoutes } from './staff/routes.js';
import { adminPages } from './staff/adminPages.js';
import { managePages } from './surveys/pages.js';
import { whatsappConfigured } from './invitations/delivery.js';
import { optOutPages } from './invitations/optOutPages.js';
import { twilioWebhooks } from './invitations/webhooks.js';
import { invitationExists } from './answering/service.js';
import { tokenGuard, type TokenGuardLimits } from './answering/tokenGuard.js';
import type { Config } from './config.js';
import type { Clock } from './platform/clock.js';
import type { Db } from './platform/db.js';
import { NotFoundError } from './platform/errors.js';
import { sendingHeld, sendingHeldKey, sendingZones } from './invitations/sendingHours.js';
import { agencyPages } from './agencies/pages.js';
import { agencyTimeZones } from './agencies/store.js';
import { followUpPages } from './followUp/pages.js';
import { publicationPages } from './results/publicPages.js';
import { errorHandler, requestLogger } from './platform/http.js';
import { securityHeaderList, securityHeaders } from './platform/securityHeaders.js';
import { formatCount, translator } from './platform/i18n.js';
import type { Logger } from './platform/logger.js';
import { connectionReader, type Reader } from './platform/readerThread.js';
import { fingerprintAssets } from './platform/assets.js';
import { publicDir, viewsDir } from './platform/paths.js';

export interface AppDependencies {
  config: Config;
  db: Db;
  clock: Clock;
  secretKey: Buffer;
  logger: Logger;
  /** rate limits of the token endpoints; tests lower them */
  tokenLimits?: TokenGuardLimits;
  /** where long reads run (the monitoring counts, the results document): the reader thread in the
   * server; without one, the connection itself on the server thread */
  reader?: Reader;
}

/** Builds the HTTP application (no listen), so tests drive it with supertest. */
export function createApp(dependencies: AppDependencies): Express {
  const { config, db, clock, logger } = dependencies;
  const app = express();
  app.disable('x-powered-by');
  app.set('views', viewsDir);
  app.set('view engine', 'ejs');
  app.set('view cache', true);
  // behind a reverse proxy, the respondent's address (for the rate limits) is in X-Forwarded-For,
  // but only a proxy named here is believed: otherwise anyone could pick their own address
  app.set('trust proxy', config.TRUST_PROXY ?? false);

  app.use(requestLogger(logger));

  const answeringContext = { db, clock, timeZone: config.TIMEZONE };
  const guard = tokenGuard(
    clock,
    dependencies.tokenLimits,
    (token) => invitationExists(db, token),
    (address) => logger.warn({ address }, 'many unknown respondent links from one address: further guesses are refused'),
  );
  const headerList = securityHeaderList({ https: config.PUBLIC_URL.startsWith('https:') });
  // the API first: phones autosave through it, and each layer passed on the way costs a walk
  app.use(respondentApi(answeringContext, { headers: headerList, guard }));
  app.use(securityHeaders(headerList));
  const assets = fingerprintAssets(publicDir);
  app.locals.asset = assets.url;
  app.locals.formatCount = formatCount;
  app.locals.sendingHeldKey = sendingHeldKey;
  // gzip where a phone on a slow connection waits: the stylesheet and scripts, and the respondent
  // pages. Not the staff pages: they carry the session's CSRF token next to text from the address
  // (search filters), the mix a BREACH attack reads through compressed sizes. Not the respondent
  // API either: autosaves answer in a few bytes.
  const gzip = compression();
  app.use('/static', gzip, assets.handler());
  app.use(express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 2000 }));
  app.use(express.json({ limit: '256kb' }));

  app.get('/healthz', (_request, response) => {
    db.prepare('SELECT 1').get();
    response.json({ ok: true });
  });
  app.get('/', (_request, response) => {
    response.render('home', { t: translator('id'), language: 'id' });
  });

  app.use('/r/:token', guard.handler, gzip);
  app.use(answeringPages(answeringContext));
  app.use(optOutPages(db, clock));
  app.use(twilioWebhooks(db, clock, logger, { authToken: config.TWILIO_AUTH_TOKEN, publicUrl: config.PUBLIC_URL }));

  const composeSettings = {
    secretKey: dependencies.secretKey,
    publicUrl: config.PUBLIC_URL,
    contentSids: { invitation: config.TWILIO_CONTENT_SID_INVITE, reminder: config.TWILIO_CONTENT_SID_REMINDER },
  };
  app.use(staffSession(db, clock));
  // the pages that queue messages or count them say so while the sending hours are closed
  // staff and the public read aggregates, so their footer says that instead of addressing a respondent
  app.use('/hasil', (_request, response, next) => {
    response.locals.footerKey = 'app.footer_public';
    next();
  });
  app.use('/staff', (_request, response, next) => {
    response.locals.footerKey = 'app.footer_staff';
    if (config.SENDING_HOURS) response.locals.sendingHeld = sendingHeld(clock.now(), sendingZones(agencyTimeZones(db), config.TIMEZONE), config.TIMEZONE, config.SENDING_HOURS);
    next();
  });
  app.use(staffRoutes(db, clock, { secureCookies: config.PUBLIC_URL.startsWith('https:'), timeZone: config.TIMEZONE }));
  app.use(adminPages(db, clock));
  // how fast the outbox drains, for the pages that say how long a sending will take
  const ratesPerSecond = { email: config.EMAIL_RATE_PER_SEC, whatsapp: config.WHATSAPP_RATE_PER_SEC };
  app.use(
    managePages(db, clock, {
      secretKey: dependencies.secretKey,
      compose: composeSettings,
      whatsappConfigured: whatsappConfigured(config),
      ratesPerSecond,
      sendingHours: config.SENDING_HOURS,
      timeZone: config.TIMEZONE,
    }),
  );
  const reader = dependencies.reader ?? connectionReader(db);
  app.use(erasurePages(db, clock, { timeZone: config.TIMEZONE }));
  app.use(agencyPages(db, clock, { timeZone: config.TIMEZONE }));
  app.use(followUpPages(db, clock, { timeZone: config.TIMEZONE }));
  app.use(publicationPages(db, clock, { timeZone: config.TIMEZONE }, reader));
  app.use(resultsPages(db, clock, { minCell: config.PRIVACY_MIN_CELL, timeZone: config.TIMEZONE }, reader));
  app.use(
    monitoringPages(db, clock, composeSettings, reader, {
      timeZone: config.TIMEZONE,
      whatsappConfigured: whatsappConfigured(config),
      secretKey: dependencies.secretKey,
      ratesPerSecond,
      sendingHours: config.SENDING_HOURS,
    }),
  );

  app.use((_request, _response, next) => next(new NotFoundError()));
  app.use(errorHandler(logger));
  return app;
}
