import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import { WindowCounter } from '../platform/rateLimit.js';

/** Rate limits on the token endpoints (DESIGN invariant 4).
 * - Per token (its first 12 characters, so near-identical guesses share a budget): a respondent
 *   autosaving a whole questionnaire stays far below the limit; a script hammering a link does not.
 * - Per address, only failed look-ups (unknown or malformed tokens) count. Over that limit, every
 *   further guess from the address is refused (429, still counted), but a link that exists still
 *   opens: one guesser behind a shared office address locks out no colleague, neither one
 *   mid-questionnaire nor one opening their link for the first time. This tells the guesser no more
 *   than a 404 did (a refused guess was a wrong one); what would matter is a hit, and with 144-bit
 *   tokens that stays as improbable as before. Going over the limit is logged. */
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

/** The guard of one app: `check` for a token read by the caller (the respondent API reads its own
 * paths), `handler` for routes with a `:token` parameter (the respondent pages). */
export interface TokenGuard {
  /** The refusal to answer with, or undefined when the request may go on. */
  check(request: Request, response: Response, token: string): TooManyRequestsError | undefined;
  handler: RequestHandler;
}

export function tokenGuard(
  clock: Clock,
  limits: TokenGuardLimits = DEFAULT_TOKEN_LIMITS,
  /** whether a token belongs to an invitation (only asked for addresses over their limit) */
  tokenExists: (token: string) => boolean = () => false,
  onAddressOverLimit: (address: string) => void = () => {},
): TokenGuard {
  const perToken = new WindowCounter(clock, limits.windowMs);
  const failuresPerAddress = new WindowCounter(clock, limits.windowMs);
  const workedFrom = new WindowCounter(clock, limits.windowMs * 6);

  const check = (request: Request, response: Response, token: string): TooManyRequestsError | undefined => {
    const address = request.ip ?? 'unknown';
    const tokenKey = token.slice(0, 12);
    const addressTokenKey = `${address}|${token}`;

    if (perToken.hit(tokenKey) > limits.requestsPerToken) return new TooManyRequestsError(perToken.retryAfterSeconds(tokenKey));
    if (failuresPerAddress.count(address) >= limits.failuresPerAddress && workedFrom.count(addressTokenKey) === 0 && !tokenExists(token)) {
      failuresPerAddress.hit(address);
      return new TooManyRequestsError(failuresPerAddress.retryAfterSeconds(address));
    }
    response.on('finish', () => {
      if (response.statusCode === 404 && failuresPerAddress.hit(address) === limits.failuresPerAddress) onAddressOverLimit(address);
      else if (response.statusCode < 400 || response.statusCode === 409 || response.statusCode === 422) workedFrom.hit(addressTokenKey);
    });
    return undefined;
  };
  return {
    check,
    handler: (request: Request, response: Response, next: NextFunction) => next(check(request, response, String(request.params.token ?? ''))),
  };
}
