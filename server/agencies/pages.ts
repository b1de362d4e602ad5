import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import { csvLine } from '../platform/csv.js';
import type { Db } from '../platform/db.js';
import { pageHref, pageOf, pageParameter } from '../platform/paging.js';
import { zoneLabel } from '../invitations/sendingHours.js';
import { allow, currentStaff, staffTranslator } from '../staff/http.js';
import { appendAudit } from '../staff/store.js';
import { AGENCY_FILE_COLUMNS, agencyFileRows } from './service.js';
import { countRegistry, listRegistry, zoneCounts, type RegistryFilter } from './store.js';

/** The agencies registry for administrators and inspectors: every agency with its kind, parent,
 * units and time zone, searchable, 100 a page, and downloadable as an agencies file that imports
 * back (so that zones, say, can be filled in a spreadsheet). Administrators import on this page
 * too (surveys/pages.ts, POST /staff/agencies, with the other imports' report page). */

const AGENCIES_PER_PAGE = 100;

const filters = z.object({
  q: z.string().max(100).optional().catch(undefined),
  // an IANA name, or "default" for the agencies without one
  zone: z.string().max(60).optional().catch(undefined),
  page: pageParameter,
});

export function agencyPages(db: Db, clock: Clock, settings: { timeZone: string }): Router {
  const router = Router();

  router.get('/staff/agencies', allow('administrator', 'inspector'), (request: Request, response: Response) => {
    const { t, language } = staffTranslator(request, response);
    const query = filters.parse(request.query);
    const filter: RegistryFilter = { search: query.q?.trim() || undefined, zone: query.zone || undefined };
    const paging = pageOf(countRegistry(db, filter), query.page, AGENCIES_PER_PAGE);
    const zones = zoneCounts(db);
    response.render('agencies/list', {
      t,
      language,
      staff: currentStaff(response)!,
      wide: true,
      agencies: listRegistry(db, filter, { limit: paging.perPage, offset: paging.offset }),
      total: zones.reduce((sum, zone) => sum + zone.agencies, 0),
      zones: zones.map((zone) => ({ value: zone.timeZone ?? 'default', label: zone.timeZone ? zoneLabel(zone.timeZone) : t('agencies.default_zone', { zone: settings.timeZone }), agencies: zone.agencies })),
      zoneText: (timeZone: string | null) => (timeZone ? zoneLabel(timeZone) : t('agencies.default_zone', { zone: settings.timeZone })),
      filter: { q: query.q?.trim() ?? '', zone: query.zone ?? '' },
      paging,
      hrefFor: (page: number) => pageHref('/staff/agencies', { q: query.q?.trim(), zone: query.zone }, page),
      defaultZone: settings.timeZone,
      scripts: ['upload.js'],
    });
  });

  router.get('/staff/agencies.csv', allow('administrator', 'inspector'), (_request: Request, response: Response) => {
    const rows = agencyFileRows(db);
    appendAudit(db, { at: clock.now().toISOString(), actor: currentStaff(response)!.email, action: 'agencies.export', detail: { agencies: rows.length } });
    response.set('Content-Disposition', 'attachment; filename="agencies.csv"');
    response.type('text/csv; charset=utf-8');
    response.write('\uFEFF'); // spreadsheets read UTF-8 names correctly with a BOM
    response.write(csvLine([...AGENCY_FILE_COLUMNS]));
    for (const row of rows) response.write(csvLine(row));
    response.end();
  });

  return router;
}
