import { destination as pinoDestination, pino, type DestinationStream, type Logger } from 'pino';

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
  return pino(options, destination ?? bufferedStdout());
}

/** Standard output written in blocks of 4 KB or once a second, not one write per line: a line per
 * request cost the respondent API a system call per request. pino writes out what is buffered when
 * the process exits; only a killed process (SIGKILL, power cut) loses the last second. */
function bufferedStdout(): DestinationStream {
  const destination = pinoDestination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => destination.flush(), 1000).unref();
  return destination;
}

/** Removes invitation tokens from a URL path before it is logged. */
export function redactTokenInPath(urlPath: string): string {
  return urlPath.replace(/\/(r|respond)\/[^/?#]+/g, '/$1/[token]');
}
