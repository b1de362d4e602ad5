import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { listAgencies } from '../agencies/store.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { ValidationError } from '../platform/errors.js';
import { pageHref, pageOf, pageParameter } from '../platform/paging.js';
import { allow, currentStaff, staffTranslator, verifyCsrf } from './http.js';
import { addStaff } from './service.js';
import { appendAudit, countStaff, findStaffById, listAudit, listStaff, setStaffDisabled, STAFF_ROLES } from './store.js';

/** Administrators only: the audit log and staff accounts. */
const PAGE_SIZE = 50;

export function adminPages(db: Db, clock: Clock): Router {
  const router = Router();

  router.get('/staff/audit', allow('administrator'), (request: Request, response: Response) => {
    const { t, language } = staffTranslator(request, response);
    const filter = z
      .object({ action: z.string().max(60).optional(), actor: z.string().max(254).optional(), before: z.coerce.number().int().positive().optional().catch(undefined) })
      .parse(request.query);
    const entries = listAudit(db, { action: filter.action || undefined, actor: filter.actor || undefined, beforeId: filter.before, limit: PAGE_SIZE + 1 });
    const query = (extra: Record<string, string | number>) => new URLSearchParams({ ...(filter.action ? { action: filter.action } : {}), ...(filter.actor ? { actor: filter.actor } : {}), ...Object.fromEntries(Object.entries(extra).map(([key, value]) => [key, String(value)])) }).toString();
    response.render('staff/audit', {
      t,
      language,
      staff: currentStaff(response)!,
      wide: true,
      entries: entries.slice(0, PAGE_SIZE),
      filter,
      olderHref: entries.length > PAGE_SIZE ? `/staff/audit?${query({ before: entries[PAGE_SIZE - 1]!.id })}` : null,
      newestHref: filter.before ? `/staff/audit?${query({})}` : null,
    });
  });

  const usersQuery = z.object({ q: z.string().max(100).optional().catch(undefined), page: pageParameter });

  function renderUsers(request: Request, response: Response, status = 200, feedback: { message?: string; errors?: { field: string; message: string }[] } = {}) {
    const { t, language } = staffTranslator(request, response);
    // the list shown is kept after a change: the row forms post to the same address, query included
    const shown = usersQuery.parse(request.query);
    const search = shown.q?.trim() || undefined;
    const paging = pageOf(countStaff(db, search), shown.page, PAGE_SIZE);
    const hrefFor = (page: number) => pageHref('/staff/users', { q: search }, page);
    response.status(status).render('staff/users', {
      t,
      language,
      staff: currentStaff(response)!,
      wide: true,
      users: listStaff(db, { search, limit: paging.perPage, offset: paging.offset }),
      search,
      paging,
      hrefFor,
      // the list's query alone ("?q=…&page=2", or nothing), for the row forms' addresses
      listQuery: pageHref('', { q: search }, paging.page),
      agencies: listAgencies(db),
      roles: STAFF_ROLES,
      message: feedback.message,
      errors: feedback.errors ?? [],
      posted: status === 200 ? {} : request.body,
      scripts: ['staff.js'],
    });
  }

  router.get('/staff/users', allow('administrator'), (request, response) => renderUsers(request, response));

  router.post('/staff/users', allow('administrator'), verifyCsrf, async (request: Request, response: Response) => {
    const body = z.object({ email: z.string().max(254), role: z.string().max(20), agency: z.string().max(40).optional(), password: z.string().max(200), language: z.string().max(2).optional() }).safeParse(request.body);
    if (!body.success) return renderUsers(request, response, 422, { errors: [{ field: 'email', message: 'email, role and password are required' }] });
    const actor = currentStaff(response)!.email;
    try {
      await addStaff(db, clock, { email: body.data.email, role: body.data.role, agencyCode: body.data.role === 'liaison' ? body.data.agency || undefined : undefined, password: body.data.password, language: body.data.language }, actor);
    } catch (error) {
      if (error instanceof ValidationError) return renderUsers(request, response, 422, { errors: error.problems });
      throw error;
    }
    renderUsers(request, response, 200, { message: staffTranslator(request, response).t('users.created') });
  });

  router.post('/staff/users/:id/:change', allow('administrator'), verifyCsrf, (request: Request, response: Response) => {
    const change = String(request.params.change);
    const userId = Number(request.params.id);
    if (!['disable', 'enable'].includes(change) || !Number.isInteger(userId)) return renderUsers(request, response, 404);
    const target = findStaffById(db, userId);
    // an administrator cannot lock themselves out
    if (!target || target.id === currentStaff(response)!.id) return renderUsers(request, response, 422, { errors: [{ field: 'account', message: 'not possible for this account' }] });
    setStaffDisabled(db, userId, change === 'disable' ? clock.now().toISOString() : null);
    appendAudit(db, { at: clock.now().toISOString(), actor: currentStaff(response)!.email, action: `staff.${change}`, detail: { email: target.email } });
    renderUsers(request, response, 200, { message: staffTranslator(request, response).t('users.updated') });
  });

  return router;
}
