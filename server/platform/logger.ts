import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Structured logs. Tokens are secrets (DESIGN invariant 4): request URLs of the respondent
 * routes are logged with the token replaced, and known secret fields are redacted. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: {
      paths: ['token', 'invitationToken', '*.token', 'req.headers.cookie', 'req.headers.authorization', 'password'],
      censor: '[redacted]',
    },
  };
  // tests pass a destination to read every line that would be logged
  return destination ? pino(options, destination) : pino(options);
}

/** Removes invitation tokens from a URL path before it is logged. */
export function redactTokenInPath(urlPath: string): string {
  return urlPath.replace(/\/(r|respond)\/[^/?#]+/g, '/$1/[token]');
}
