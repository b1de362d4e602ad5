import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, ConflictError, GoneError, isStorageFault, ValidationError } from './errors.js';
import { translator } from './i18n.js';
import { redactTokenInPath, type Logger } from './logger.js';

/** One line per request, with invitation tokens removed from the path. */
export function requestLogger(logger: Logger): RequestHandler {
  return (request, response, next) => {
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      logger.info(
        { method: request.method, path: redactTokenInPath(request.originalUrl.split('?')[0] ?? ''), status: response.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        'request',
      );
    });
    next();
  };
}

function isApi(path: string): boolean {
  return path.startsWith('/api/');
}

/** The one error handler: typed errors map to statuses; nothing internal reaches a user. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, request, response, _next) => {
    const api = isApi(request.originalUrl);
    // body-parser errors carry a status and a type
    const bodyError = error as { type?: string; status?: number };
    let status = 500;
    let payload: Record<string, unknown> = { error: 'internal', message: 'Something went wrong. Please try again shortly.' };
    let storageFault: (Error & { code: string }) | undefined;
    if (error instanceof AppError) {
      status = error.status;
      payload = { error: error.code, message: error.message };
      if (error instanceof ValidationError && error.problems.length > 0) payload.errors = error.problems;
      if (error instanceof ConflictError && error.code === 'completed') payload = { status: 'completed' };
      if (error instanceof GoneError) payload = { status: 'closed', reason: error.code };
    } else if (isStorageFault(error)) {
      // the transaction was rolled back; the same request can be sent again once the disk recovers
      storageFault = error;
      status = 503;
      payload = { error: 'unavailable', message: 'Penyimpanan sedang bermasalah; coba lagi sebentar lagi. (Storage is unavailable; please try again shortly.)' };
      if (!response.headersSent) response.set('Retry-After', '30');
    } else if (bodyError.type === 'entity.parse.failed') {
      status = 400;
      payload = { error: 'invalid_json', message: 'The request body is not valid JSON.' };
    } else if (bodyError.type === 'entity.too.large') {
      status = 413;
      payload = { error: 'too_large', message: 'The request body is too large.' };
    } else if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
      status = bodyError.status;
      payload = { error: 'bad_request', message: 'The request could not be read.' };
    }
    const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (status === 429 && retryAfter && !response.headersSent) response.set('Retry-After', String(retryAfter));
    const path = redactTokenInPath(request.originalUrl.split('?')[0] ?? '');
    if (storageFault) logger.error({ code: storageFault.code, message: storageFault.message, path }, 'storage unavailable');
    else if (status >= 500) logger.error({ err: error, path }, 'request failed');
    if (response.headersSent) return;
    if (api) {
      response.status(status).json(payload);
      return;
    }
    const t = translator('id');
    response.status(status).render('answering/notice', {
      t,
      language: 'id',
      kind: 'error',
      heading: status === 404 ? t('error.not_found') : status === 429 ? t('error.too_many_heading') : status === 503 ? t('error.unavailable_heading') : t('error.heading'),
      body: status === 404 ? t('unknown.body') : status === 429 ? t('error.too_many_body') : status === 503 ? t('error.unavailable_body') : status >= 500 ? t('error.body') : String(payload.message ?? t('error.body')),
    });
  };
}
