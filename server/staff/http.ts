import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { AppError } from '../platform/errors.js';
import { translator, type Translate } from '../platform/i18n.js';
import { readUpload, type Upload } from '../platform/upload.js';
import { hashSessionId } from './service.js';
import { findSession, setStaffLanguage, type StaffRole, type StaffUser } from './store.js';

export const SESSION_COOKIE = 'integritas_staff';

export type SignedInStaff = Omit<StaffUser, 'passwordHash'> & { csrfToken: string };

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0) cookies[part.slice(0, index).trim()] = decodeURIComponent(part.slice(index + 1).trim());
  }
  return cookies;
}

export function currentStaff(response: Response): SignedInStaff | undefined {
  return response.locals.staff as SignedInStaff | undefined;
}

/** The staff language: ?lang=, else the account's. */
export function staffTranslator(request: Request, response: Response): { t: Translate; language: string } {
  const wanted = request.query.lang;
  const language = wanted === 'en' || wanted === 'id' ? wanted : (currentStaff(response)?.language ?? 'id');
  return { t: translator(language), language };
}

/** Loads the signed-in staff member, if any, from the session cookie. */
export function staffSession(db: Db, clock: Clock): RequestHandler {
  return (request, response, next) => {
    const sessionId = parseCookies(request.headers.cookie)[SESSION_COOKIE];
    if (sessionId) {
      const session = findSession(db, hashSessionId(sessionId), clock.now().toISOString());
      if (session) {
        const { passwordHash: _omitted, ...staff } = session;
        // a language chosen with the switch is remembered on the account
        const wanted = request.query.lang;
        if ((wanted === 'id' || wanted === 'en') && wanted !== staff.language) {
          setStaffLanguage(db, staff.id, wanted);
          staff.language = wanted;
        }
        response.locals.staff = staff satisfies SignedInStaff;
        response.locals.sessionId = sessionId;
      }
    }
    if (request.path.startsWith('/staff')) {
      const current = request.query.lang === 'en' || request.query.lang === 'id' ? request.query.lang : ((response.locals.staff as SignedInStaff | undefined)?.language ?? 'id');
      response.locals.languageLinks = (['id', 'en'] as const).map((code) => ({
        code,
        label: translator(code)(`lang.${code}`),
        href: `${request.path}?${new URLSearchParams({ ...(request.query as Record<string, string>), lang: code }).toString()}`,
        current: code === current,
      }));
    }
    next();
  };
}

export class ForbiddenError extends AppError {
  constructor(message = 'You do not have access to this page.') {
    super(message, 403, 'forbidden');
  }
}

/** The one place a staff route says who may use it. Anonymous → the sign-in page. */
export function allow(...roles: StaffRole[]): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    const staff = currentStaff(response);
    if (!staff) {
      response.redirect(303, `/staff/login?next=${encodeURIComponent(request.originalUrl)}`);
      return;
    }
    if (roles.length > 0 && !roles.includes(staff.role)) return next(new ForbiddenError());
    next();
  };
}

/** Every state-changing staff request carries the session's CSRF token. */
export function verifyCsrf(request: Request, response: Response, next: NextFunction): void {
  if (request.method === 'GET' || request.method === 'HEAD') return next();
  const staff = currentStaff(response);
  const sent = (request.body as Record<string, unknown> | undefined)?._csrf ?? request.get('X-CSRF-Token');
  if (!staff || typeof sent !== 'string' || sent !== staff.csrfToken) return next(new ForbiddenError('The form has expired. Reload the page and try again.'));
  next();
}

/** A staff form's multipart upload, read, with its CSRF token checked: such a body is only parsed
 * inside the route, so verifyCsrf cannot see it. */
export async function readStaffUpload(request: Request, response: Response): Promise<Upload> {
  const upload = await readUpload(request);
  if (upload.fields._csrf !== currentStaff(response)!.csrfToken) throw new ForbiddenError('The form has expired. Reload the page and try again.');
  return upload;
}
