import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import { WindowCounter } from '../platform/rateLimit.js';

/** Rate limits on the token endpoints (DESIGN invariant 4).
 * - Per token (its first 12 characters, so near-identical guesses share a budget): a respondent
 *   autosaving a whole questionnaire stays far below the limit; a script hammering a link does not.
 * - Per address, only failed look-ups (unknown or malformed tokens) count. An address over that
 *   limit is refused for new tokens, but tokens that already worked from it keep working, so one
 *   guesser behind a shared office address does not lock out colleagues who are mid-questionnaire. */
export interface TokenGuardLimits {
  requestsPerToken: number;
  failuresPerAddress: number;
  windowMs: number;
}

export const DEFAULT_TOKEN_LIMITS: TokenGuardLimits = { requestsPerToken: 600, failuresPerAddress: 100, windowMs: 10 * 60 * 1000 };

export class TooManyRequestsError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many requests. Please wait a moment and try again.', 429, 'rate_limited');
  }
}

export function tokenGuard(clock: Clock, limits: TokenGuardLimits = DEFAULT_TOKEN_LIMITS): RequestHandler {
  const perToken = new WindowCounter(clock, limits.windowMs);
  const failuresPerAddress = new WindowCounter(clock, limits.windowMs);
  const workedFrom = new WindowCounter(clock, limits.windowMs * 6);

  return (request: Request, response: Response, next: NextFunction) => {
    const token = String(request.params.token ?? '');
    const address = request.ip ?? 'unknown';
    const tokenKey = token.slice(0, 12);
    const addressTokenKey = `${address}|${token}`;

    if (perToken.hit(tokenKey) > limits.requestsPerToken) return next(new TooManyRequestsError(perToken.retryAfterSeconds(tokenKey)));
    if (failuresPerAddress.count(address) >= limits.failuresPerAddress && workedFrom.count(addressTokenKey) === 0) {
      return next(new TooManyRequestsError(failuresPerAddress.retryAfterSeconds(address)));
    }
    response.on('finish', () => {
      if (response.statusCode === 404) failuresPerAddress.hit(address);
      else if (response.statusCode < 400 || response.statusCode === 409 || response.statusCode === 422) workedFrom.hit(addressTokenKey);
    });
    next();
  };
}
