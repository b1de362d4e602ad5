import type { IncomingMessage } from 'node:http';

/** A body that could not be read, shaped like body-parser's errors (a status and a type), so
 * the one error handler answers it the same way as for the app's other routes. */
export class BodyReadError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly type: string,
  ) {
    super(message);
  }
}

const JSON_MEDIA_TYPE = /^application\/json\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

/** Reads a JSON request body of at most `limit` bytes, for the respondent API, whose phones
 * autosave through it: body-parser's json() answers the same (nothing when the body is not
 * application/json, `{}` for an empty one, 400 for what is not a JSON object or array, 413 past
 * the limit), at about a third of the cost per request, which the API's profile showed as one of
 * its larger costs. What phones never send is refused rather than decoded: a compressed body (415)
 * and a charset other than UTF-8 (415). */
export function readJsonBody(request: IncomingMessage, limit: number, done: (error: BodyReadError | undefined, body?: unknown) => void): void {
  const contentType = request.headers['content-type'];
  const declaredLength = request.headers['content-length'] === undefined ? undefined : Number(request.headers['content-length']);
  const hasBody = request.headers['transfer-encoding'] !== undefined || (declaredLength !== undefined && !Number.isNaN(declaredLength));
  if (!hasBody || contentType === undefined || !JSON_MEDIA_TYPE.test(contentType)) return done(undefined, undefined);
  const charset = CHARSET.exec(contentType)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return done(new BodyReadError(`unsupported charset "${charset}"`, 415, 'charset.unsupported'));
  const encoding = request.headers['content-encoding']?.toLowerCase();
  if (encoding !== undefined && encoding !== 'identity') return done(new BodyReadError(`unsupported content encoding "${encoding}"`, 415, 'encoding.unsupported'));
  if (declaredLength !== undefined && declaredLength > limit) return done(new BodyReadError('request entity too large', 413, 'entity.too.large'));

  const chunks: Buffer[] = [];
  let received = 0;
  let finished = false;
  const finish = (error: BodyReadError | undefined, body?: unknown) => {
    if (finished) return;
    finished = true;
    request.off('data', onData);
    request.off('end', onEnd);
    request.off('aborted', onAborted);
    request.off('error', onError);
    done(error, body);
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    // what is left of the body is discarded by Node once the answer is sent
    if (received > limit) finish(new BodyReadError('request entity too large', 413, 'entity.too.large'));
    else chunks.push(chunk);
  };
  const onEnd = () => {
    if (declaredLength !== undefined && received !== declaredLength) return finish(new BodyReadError('request size did not match content length', 400, 'request.size.invalid'));
    const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)).toString('utf8');
    if (text.length === 0) return finish(undefined, {});
    // like body-parser's strict mode: only an object or an array is a body
    const first = /\S/.exec(text)?.[0];
    if (first !== '{' && first !== '[') return finish(new BodyReadError('the body is not a JSON object or array', 400, 'entity.parse.failed'));
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return finish(new BodyReadError('the body is not valid JSON', 400, 'entity.parse.failed'));
    }
    finish(undefined, body);
  };
  const onAborted = () => finish(new BodyReadError('request aborted', 400, 'request.aborted'));
  const onError = () => finish(new BodyReadError('request could not be read', 400, 'request.aborted'));
  request.on('data', onData);
  request.on('end', onEnd);
  request.on('aborted', onAborted);
  request.on('error', onError);
}
