import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { agencyTimeZones, agencyZonesByCode, findAgencyByCode, listUnits, type AgencyRecord } from '../agencies/store.js';
import type { Clock } from '../platform/clock.js';
import { csvLine } from '../platform/csv.js';
import type { Db } from '../platform/db.js';
import type { Reader } from '../platform/readerThread.js';
import { ConflictError, InputError, NotFoundError, ValidationError, type FieldProblem } from '../platform/errors.js';
import { dateFormat, formatCount, formatPercent, type Translate } from '../platform/i18n.js';
import { pageHref, pageOf, pageParameter } from '../platform/paging.js';
import { formatProblem, PROBLEMS_SHOWN, problemsToShow, writeXlsx } from '../platform/tabular.js';
import { requireFile } from '../platform/upload.js';
import type { ComposeSettings } from '../invitations/compose.js';
import { previewMessage } from '../invitations/preview.js';
import { contactFor, correctContact, correctionMode } from '../invitations/contactCorrection.js';
import { correctContactsFromFile, type ContactUploadReport } from '../invitations/contactUpload.js';
import { reinstateRespondent, WITHDRAWAL_REASON_MAX, withdrawalFor, withdrawRespondent } from '../invitations/withdrawal.js';
import { queueReminders } from '../invitations/sending.js';
import { drainMinutes, sendingEstimate, sendingHeld, sendingZones, zoneLabel, zoneShares, zoneWindows, type SendingPace } from '../invitations/sendingHours.js';
import { findContactErasure } from '../respondents/store.js';
import { canSeeAgency } from '../results/access.js';
import { countAxisTop, lineChart } from '../results/charts.js';
import { allow, currentStaff, ForbiddenError, readStaffUpload, staffTranslator, verifyCsrf } from '../staff/http.js';
import { appendAudit } from '../staff/store.js';
import { localize } from '../surveys/localize.js';
import { requireSurvey } from '../surveys/service.js';
import { SUPPORTED_LANGUAGES } from '../surveys/schema.js';
import { addRespondent } from '../respondents/service.js';
import { respondentDetails, updateRespondentDetails } from '../respondents/details.js';
import { suggestEmail } from '../respondents/emailTypos.js';
import type { SurveyRecord } from '../surveys/store.js';
import { responseRate } from './rates.js';
import { sharedSurveyCounts } from './sharedCounts.js';
import { deliveryProgress } from './deliveryProgress.js';
import { agencyGroupCounts, outboxSummary, completionsPerDay, countNonResponders, nonResponders, unitCounts, withdrawnRespondents, type AgencyGroupRow, type NonResponder, type NonResponderFilter } from './store.js';

/** Response-rate monitoring while a survey runs: counts come from invitations and messages,
 * never from answers, so every role may see its own scope at any time. */

const filters = z.object({
  kind: z.string().max(20).optional(),
  parent: z.string().max(40).optional(),
  below: z.coerce.number().min(0).max(100).optional().catch(undefined),
  q: z.string().max(100).optional(),
  sort: z.enum(['rate_asc', 'rate_desc', 'name']).optional().catch(undefined),
  page: pageParameter,
});

// A national round has some 600 agencies × 3 groups; the worst rates come first by default.
const DASHBOARD_ROWS_PER_PAGE = 100;
const NON_RESPONDERS_PER_PAGE = 100;

const MANUAL_REMINDER_RULE = { minDays: 1, max: 3 };
// withdrawn respondents listed on an agency's page, the latest first (the rest are counted)
const WITHDRAWN_SHOWN = 100;

/** `reader`: where the counts are read. In the server, the reader thread, so that respondents are
 * answered meanwhile (a national count takes about a second, a large agency's a few hundred ms).
 * `timeZone`: the survey office's, for the times shown (config TIMEZONE). `whatsappConfigured`:
 * which channel a corrected contact's invitation goes on (sending.ts, automaticChannel); `secretKey`:
 * what a replaced link's token is derived with. */
export function monitoringPages(
  db: Db,
  clock: Clock,
  compose: ComposeSettings,
  reader: Reader,
  settings: SendingPace & { whatsappConfigured: boolean; secretKey: Buffer },
): Router {
  const router = Router();
  const surveyCounts = sharedSurveyCounts((surveyId) => agencyGroupCounts(reader, surveyId), clock);

  function surveyFor(request: Request): SurveyRecord {
    return requireSurvey(db, String(request.params.survey));
  }

  function withRates(survey: SurveyRecord, counts: AgencyGroupRow[]) {
    return counts.map((row) => ({
      ...row,
      rate: responseRate(row),
      minResponses: survey.definition.groups[row.group]?.minResponses ?? 0,
      groupTitle: row.group,
    }));
  }

  /** What the progress of the sending shows (views/partials/delivery-progress.ejs): the outbox is
   * read once per page, `of` then adds the counts of the survey or of one agency. */
  async function deliveryLocals(language: string, t: Translate) {
    const now = clock.now();
    const outbox = await outboxSummary(reader, now.getTime());
    // the sender is stalled only if something may leave somewhere
    const sendingOpen = !settings.sendingHours || !zoneWindows(now, sendingZones(agencyTimeZones(db), settings.timeZone), settings.sendingHours).heldUntil;
    const lastAttempt = outbox.lastAttemptMs === null ? null : dateFormat(language, { dateStyle: 'medium', timeStyle: 'short', timeZone: settings.timeZone }).format(new Date(outbox.lastAttemptMs));
    return {
      /** `shares`: the outbox's shares by agency zone, when known (zoneShares) */
      of: (rows: AgencyGroupRow[], shares?: ReadonlyMap<string, number>) => {
        const sum = (pick: (row: AgencyGroupRow) => number) => rows.reduce((total, row) => total + pick(row), 0);
        const delivery = deliveryProgress({ invited: sum((row) => row.invited), waiting: sum((row) => row.waiting) }, outbox, settings.ratesPerSecond, now.getTime(), sendingOpen);
        // how long the outbox takes, and with sending hours when it is done
        const queueSentence =
          delivery &&
          sendingEstimate(delivery.etaMinutes, now, { ...settings, zoneShares: shares }, language, t, { plain: 'delivery.queue', withHours: 'delivery.queue_hours' }, {
            total: formatCount(delivery.pendingTotal, language),
            email: formatCount(delivery.pending.email, language),
            whatsapp: formatCount(delivery.pending.whatsapp, language),
          });
        return { lastAttempt, delivery, queueSentence };
      },
    };
  }

  function erasedNote(survey: SurveyRecord, language: string, t: Translate): string | null {
    const erasure = survey.status === 'closed' ? findContactErasure(db, survey.id) : undefined;
    if (!erasure) return null;
    return t('erase.monitor_note', { day: dateFormat(language, { dateStyle: 'medium', timeZone: settings.timeZone }).format(new Date(erasure.startedAt)) });
  }

  function outboxZoneShares(counts: AgencyGroupRow[]) {
    const zones = agencyZonesByCode(db);
    return zoneShares(counts.map((row) => [zones.get(row.agencyCode) ?? null, row.waiting] as const), settings.timeZone);
  }

  router.get('/staff/monitoring/:survey', allow(), async (request: Request, response: Response) => {
    const survey = surveyFor(request);
    const staff = currentStaff(response)!;
    if (staff.role === 'liaison') return response.redirect(303, `/staff/monitoring/${survey.code}/agencies/${staff.agencyCode}`);
    const { t, language } = staffTranslator(request, response);
    const filter = filters.parse(request.query);
    const query = filter.q?.trim().toLowerCase() ?? '';
    const [{ rows: counts, countedAt }, delivery] = await Promise.all([surveyCounts(survey.id), deliveryLocals(language, t)]);
    const all = withRates(survey, counts);
    let table = all.filter(
      (row) =>
        (!filter.kind || row.kind === filter.kind) &&
        (!filter.parent || row.parentCode === filter.parent) &&
        (filter.below === undefined || (row.rate ?? 0) * 100 < filter.below) &&
        (query === '' || row.agencyName.toLowerCase().includes(query) || row.agencyCode.toLowerCase().includes(query)),
    );
    const sort = filter.sort ?? 'rate_asc';
    table = table.sort((a, b) =>
      sort === 'name' ? a.agencyName.localeCompare(b.agencyName) || a.group.localeCompare(b.group) : ((a.rate ?? -1) - (b.rate ?? -1)) * (sort === 'rate_asc' ? 1 : -1) || a.agencyName.localeCompare(b.agencyName),
    );
    const paging = pageOf(table.length, filter.page, DASHBOARD_ROWS_PER_PAGE);
    response.render('monitoring/dashboard', {
      t,
      language,
      staff,
      wide: true,
      survey,
      surveyTitle: localize(survey.definition.title, language),
      table: table.slice(paging.offset, paging.offset + paging.perPage),
      paging,
      hrefFor: (page: number) => pageHref(`/staff/monitoring/${survey.code}`, { kind: filter.kind, parent: filter.parent, below: filter.below, q: filter.q, sort }, page),
      filter: { ...filter, sort },
      kinds: [...new Set(all.map((row) => row.kind))].sort(),
      parents: [...new Set(all.map((row) => row.parentCode).filter((code): code is string => code !== null))].sort(),
      groupTitle: (code: string) => localize(survey.definition.groups[code]?.title, language) || code,
      percent: (rate: number | null) => formatPercent(rate, language),
      updated: dateFormat(language, { dateStyle: 'medium', timeStyle: 'short', timeZone: settings.timeZone }).format(countedAt),
      // the survey's waiting invitations by agency zone stand for the outbox's (the other surveys' are not counted here)
      ...delivery.of(counts, settings.sendingHours && outboxZoneShares(counts)),
      exportHref: `/staff/monitoring/${survey.code}/export.csv`,
      scripts: ['refresh.js'],
      autoRefresh: true,
    });
  });

  router.get('/staff/monitoring/:survey/export.csv', allow('administrator', 'inspector'), async (request: Request, response: Response) => {
    const survey = surveyFor(request);
    // a download is counted afresh, not taken from the dashboard's shared counts
    const counts = await agencyGroupCounts(reader, survey.id, null);
    appendAudit(db, { at: clock.now().toISOString(), actor: currentStaff(response)!.email, action: 'monitoring.export', detail: { survey: survey.code } });
    response.type('text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="monitoring-${survey.code}.csv"`);
    response.write('\uFEFF' + csvLine(['agency', 'name', 'group', 'respondents', 'invited', 'delivered', 'failed', 'bounced', 'opted_out', 'withdrawn', 'opened', 'started', 'completed', 'response_rate', 'min_responses']));
    for (const row of withRates(survey, counts)) {
      response.write(csvLine([row.agencyCode, row.agencyName, row.group, row.respondents, row.invited, row.delivered, row.failed, row.bounced, row.optedOut, row.withdrawn, row.opened, row.started, row.completed, row.rate, row.minResponses]));
    }
    response.end();
  });

  /** What the agency page says after an action sent the staff member back to it (the query says which). */
  function actionDone(request: Request, t: ReturnType<typeof staffTranslator>['t']): string | null {
    const query = request.query;
    const channelOf = (value: unknown) => (value === 'email' || value === 'whatsapp' ? t(`contact.channel.${value}`) : null);
    if (query.queued !== undefined) return t('monitor.reminders_queued', { count: Number(query.queued) || 0 });
    if (channelOf(query.resent)) return t('contact.resent', { channel: channelOf(query.resent)! });
    if (query.saved === 'contact') return t('contact.saved');
    if (channelOf(query.added)) return t('add.done_sent', { channel: channelOf(query.added)! });
    if (query.added !== undefined) return t('add.done');
    if (query.changed !== undefined) return t('details.done');
    if (query.withdrawn !== undefined) return t('withdraw.done');
    if (query.reinstated !== undefined) return t('withdraw.reinstated');
    return null;
  }

  /** One agency's pages speak of its own zone: its sending hours, and its messages' finish time. */
  function agencyPace(agency: AgencyRecord): SendingPace {
    return { ...settings, timeZone: agency.timeZone ?? settings.timeZone };
  }
  function agencySendingHeld(agency: AgencyRecord) {
    const pace = agencyPace(agency);
    return pace.sendingHours && sendingHeld(clock.now(), [pace.timeZone], settings.timeZone, pace.sendingHours);
  }

  function agencyFor(request: Request, response: Response) {
    const survey = surveyFor(request);
    const code = String(request.params.code);
    if (!canSeeAgency(currentStaff(response)!, code)) throw new ForbiddenError();
    const agency = findAgencyByCode(db, code);
    if (!agency) throw new NotFoundError(`No agency ${code}`);
    return { survey, agency };
  }

  router.get('/staff/monitoring/:survey/agencies/:code', allow(), async (request: Request, response: Response) => {
    const { survey, agency } = agencyFor(request, response);
    const { t, language } = staffTranslator(request, response);
    const show: NonResponderFilter = request.query.show === 'undelivered' ? 'undelivered' : 'all';
    // a name, email or phone: to find the one person to correct or withdraw among thousands
    const search = z.string().max(100).catch('').parse(request.query.q ?? '').trim();
    const paging = pageOf(await countNonResponders(reader, survey.id, agency.id, show, search), pageParameter.parse(request.query.page), NON_RESPONDERS_PER_PAGE);
    const [perDay, groups, units, shownNonResponders, withdrawn, delivery] = await Promise.all([
      completionsPerDay(reader, survey.id, agency.id),
      agencyGroupCounts(reader, survey.id, agency.code),
      unitCounts(reader, survey.id, agency.id),
      nonResponders(reader, survey.id, agency.id, { limit: paging.perPage, offset: paging.offset }, show, search),
      withdrawnRespondents(reader, survey.id, agency.id, WITHDRAWN_SHOWN),
      deliveryLocals(language, t),
    ]);
    response.render('monitoring/agency', {
      t,
      language,
      staff: currentStaff(response)!,
      wide: true,
      survey,
      agency,
      agencyZone: agency.timeZone && zoneLabel(agency.timeZone),
      // after the round's personal data was erased, only counts are left to show
      erasedNote: erasedNote(survey, language, t),
      sendingHeld: agencySendingHeld(agency),
      surveyTitle: localize(survey.definition.title, language),
      groups: withRates(survey, groups),
      units: units.map((unit) => ({ ...unit, rate: responseRate(unit) })),
      perDay,
      perDayChart: lineChart({
        title: t('monitor.per_day'),
        description: t('monitor.per_day_desc'),
        points: perDay.map((day) => ({ label: day.day.slice(5), value: day.completed })),
        format: (value) => formatCount(value, language),
        // counts, not an index: the axis reaches the busiest day (thousands in a national round)
        top: countAxisTop(Math.max(0, ...perDay.map((day) => day.completed))),
      }),
      nonResponders: shownNonResponders,
      paging,
      show,
      search,
      hrefFor: (page: number) => pageHref(`/staff/monitoring/${survey.code}/agencies/${agency.code}`, { show: show === 'all' ? undefined : show, q: search || undefined }, page),
      groupTitle: (code: string) => localize(survey.definition.groups[code]?.title, language) || code,
      percent: (rate: number | null) => formatPercent(rate, language),
      canRemind: survey.status === 'open' && currentStaff(response)!.role !== 'inspector',
      // the sample may change until the survey closes; inspectors see the withdrawn, and why
      canWithdraw: survey.status !== 'closed' && currentStaff(response)!.role !== 'inspector',
      withdrawn: { total: groups.reduce((sum, row) => sum + row.withdrawn, 0), shown: withdrawn },
      withdrawnOn: (iso: string) => dateFormat(language, { dateStyle: 'medium', timeZone: settings.timeZone }).format(new Date(iso)),
      // the contact correction this row offers to this staff member, if any (contactCorrection.ts)
      correctionOf: (person: NonResponder) => {
        const role = currentStaff(response)!.role;
        if (survey.status !== 'open' || role === 'inspector') return null;
        const mode = correctionMode({ status: 'new', optedOut: person.optedOut, withdrawn: false, messaged: person.messaged, linkSeen: person.linkSeen });
        return mode === 'reissue' && role !== 'administrator' ? null : mode;
      },
      message: actionDone(request, t),
      ...delivery.of(groups),
      scripts: ['refresh.js'],
      autoRefresh: true,
    });
  });

  // The contacts to correct, to work on away from the page (calling HR, a unit's secretary): every
  // non-responder whose invitation failed or bounced, with the error and where to correct it. As
  // XLSX too: a spreadsheet opening the CSV turns +62812… into 6.28E+12, and its phone numbers would
  // then come back wrong in the corrected file (contactUpload.ts).
  router.get('/staff/monitoring/:survey/agencies/:code/undelivered.:format', allow('administrator', 'liaison'), async (request: Request, response: Response) => {
    const format = String(request.params.format);
    if (format !== 'csv' && format !== 'xlsx') throw new NotFoundError('No such export format');
    const { survey, agency } = agencyFor(request, response);
    const { t, language } = staffTranslator(request, response);
    // a whole agency, not one page: a ministry's undelivered invitations are hundreds, not tens of thousands
    const rows = await nonResponders(reader, survey.id, agency.id, { limit: -1, offset: 0 }, 'undelivered');
    appendAudit(db, { at: clock.now().toISOString(), actor: currentStaff(response)!.email, action: 'monitoring.undelivered_export', detail: { survey: survey.code, agency: agency.code, format, rows: rows.length } });
    // respondent_id first: the column a file of corrected contacts is read by (contactUpload.ts)
    const table = [
      ['respondent_id', 'name', 'group', 'unit', 'email', 'phone', 'delivery', 'last_error', 'correct_at'],
      ...rows.map((row) => [
        row.respondentId,
        row.name,
        localize(survey.definition.groups[row.group]?.title, language) || row.group,
        row.unit,
        row.email,
        row.phone,
        t(`monitor.delivery.${row.delivery as 'failed' | 'bounced'}`),
        row.lastError,
        `${compose.publicUrl}/staff/monitoring/${survey.code}/agencies/${agency.code}/respondents/${row.respondentId}/contact`,
      ]),
    ];
    response.set('Content-Disposition', `attachment; filename="undelivered-${survey.code}-${agency.code}.${format}"`);
    if (format === 'xlsx') {
      response.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      return void (await writeXlsx(response, agency.code, table));
    }
    response.type('text/csv; charset=utf-8');
    response.write('\uFEFF' + table.map(csvLine).join(''));
    response.end();
  });

  // Reminders for an agency's non-responders: the count and a rendered preview first, then a
  // confirmation. Administrators and the agency's own liaison; inspectors only read.
  router.get('/staff/monitoring/:survey/agencies/:code/reminders', allow('administrator', 'liaison'), async (request: Request, response: Response) => {
    const { survey, agency } = agencyFor(request, response);
    const { t, language } = staffTranslator(request, response);
    const eligible = (await queueReminders(db, clock, { surveyCode: survey.code, agencyCode: agency.code, ...MANUAL_REMINDER_RULE, dryRun: true })).planned;
    const preview = await previewMessage(db, compose, survey, eligible[0], 'reminder');
    const perChannel = { email: eligible.filter((message) => message.channel === 'email').length, whatsapp: eligible.filter((message) => message.channel === 'whatsapp').length };
    const eta = sendingEstimate(drainMinutes(perChannel, settings.ratesPerSecond), clock.now(), agencyPace(agency), language, t, { plain: 'monitor.reminder_eta', withHours: 'monitor.reminder_eta_hours' });
    response.render('monitoring/reminders', { t, language, staff: currentStaff(response)!, survey, agency, count: eligible.length, preview, eta, rule: MANUAL_REMINDER_RULE, sendingHeld: agencySendingHeld(agency) });
  });

  router.post('/staff/monitoring/:survey/agencies/:code/reminders', allow('administrator', 'liaison'), verifyCsrf, async (request: Request, response: Response) => {
    const { survey, agency } = agencyFor(request, response);
    const { queued } = await queueReminders(db, clock, { surveyCode: survey.code, agencyCode: agency.code, ...MANUAL_REMINDER_RULE });
    appendAudit(db, { at: clock.now().toISOString(), actor: currentStaff(response)!.email, action: 'reminders.send', detail: { survey: survey.code, agency: agency.code, queued } });
    response.redirect(303, `/staff/monitoring/${survey.code}/agencies/${agency.code}?queued=${queued}`);
  });

  // Changing the contact of a non-responder, and sending their invitation again if it reached no
  // one or replacing its link if it may have (contactCorrection.ts: edit, resend, reissue).
  // Administrators and the agency's own liaison, while the survey is open; reissue is administrators' only.
  const contactPath = '/staff/monitoring/:survey/agencies/:code/respondents/:respondent/contact';
  /** The survey (checked for this staff member's agency) and the respondent the address names
   * (the contact, details and withdrawal forms). */
  const respondentTarget = (request: Request, response: Response) => {
    const { survey, agency } = agencyFor(request, response);
    return { survey, target: { surveyCode: survey.code, agencyCode: agency.code, respondentId: z.coerce.number().int().positive().catch(0).parse(request.params.respondent) } };
  };
  /** What the pages about one respondent (contact, withdrawal) show of them. */
  const respondentPageLocals = (request: Request, response: Response, survey: SurveyRecord, agencyCode: string, record: { groupCode: string }) => {
    const { t, language } = staffTranslator(request, response);
    return { t, language, staff: currentStaff(response)!, survey, agencyCode, record, groupTitle: localize(survey.definition.groups[record.groupCode]?.title, language) || record.groupCode };
  };
  const renderContact = (request: Request, response: Response, status: number, { survey, target }: ReturnType<typeof respondentTarget>, form?: { email: string; phone: string; errors: { field: string; message: string }[] }) => {
    const record = contactFor(db, target);
    const shown = form ?? { email: record.email ?? '', phone: record.phone ?? '', errors: [] };
    response.status(status).render('monitoring/contact', {
      ...respondentPageLocals(request, response, survey, target.agencyCode, record),
      mode: correctionMode(record),
      // first shown: the contact as stored; after a refusal: what was typed, with the problems
      form: shown,
      // a bounce is often a mistyped domain: say which address was probably meant
      emailMeant: shown.email === '' ? null : suggestEmail(shown.email.trim().toLowerCase()),
    });
  };

  router.get(contactPath, allow('administrator', 'liaison'), (request: Request, response: Response) => {
    renderContact(request, response, 200, respondentTarget(request, response));
  });

  const contactForm = z.object({ email: z.string().max(300).catch(''), phone: z.string().max(60).catch(''), confirm: z.literal('yes').optional().catch(undefined) });
  router.post(contactPath, allow('administrator', 'liaison'), verifyCsrf, (request: Request, response: Response) => {
    const subject = respondentTarget(request, response);
    const { target } = subject;
    const typed = contactForm.parse(request.body ?? {});
    const staff = currentStaff(response)!;
    try {
      const { channel, mode } = correctContact(db, clock, target, { email: typed.email, phone: typed.phone, confirmed: typed.confirm === 'yes', administrator: staff.role === 'administrator' }, settings);
      // the audit says who corrected whom and how, not the addresses: contacts stay in the registry
      appendAudit(db, { at: clock.now().toISOString(), actor: staff.email, action: 'respondent.contact_corrected', detail: { survey: target.surveyCode, agency: target.agencyCode, respondent: target.respondentId, channel, linkReplaced: mode === 'reissue' } });
      response.redirect(303, `/staff/monitoring/${target.surveyCode}/agencies/${target.agencyCode}?${channel ? `resent=${channel}` : 'saved=contact'}`);
    } catch (error) {
      if (error instanceof ValidationError) return renderContact(request, response, 422, subject, { ...typed, errors: error.problems });
      throw error;
    }
  });

  // The undelivered list back, corrected in a spreadsheet: every row a correction form would
  // make, at once (contactUpload.ts). Same people as the forms; links that may have been seen are
  // left to the forms, where replacing one is confirmed.
  const contactsPath = '/staff/monitoring/:survey/agencies/:code/contacts';
  const renderContactsUpload = (request: Request, response: Response, status: number, outcome: { report?: ContactUploadReport; refused?: string } = {}) => {
    const { survey, agency } = agencyFor(request, response);
    const { t, language } = staffTranslator(request, response);
    response.status(status).render('monitoring/contacts', {
      t,
      language,
      staff: currentStaff(response)!,
      survey,
      agency,
      report: outcome.report ?? null,
      errors: outcome.report ? problemsToShow(outcome.report.errors, PROBLEMS_SHOWN) : null,
      notices: outcome.report ? problemsToShow(outcome.report.notices, PROBLEMS_SHOWN) : null,
      refused: outcome.refused ?? null,
      formatProblem,
      scripts: ['upload.js'],
    });
  };

  router.get(contactsPath, allow('administrator', 'liaison'), (request: Request, response: Response) => renderContactsUpload(request, response, 200));

  router.post(contactsPath, allow('administrator', 'liaison'), async (request: Request, response: Response) => {
    const { survey, agency } = agencyFor(request, response);
    const upload = await readStaffUpload(request, response);
    try {
      const report = await correctContactsFromFile(db, clock, { surveyCode: survey.code, agencyCode: agency.code }, requireFile(upload), settings);
      appendAudit(db, {
        at: clock.now().toISOString(),
        actor: currentStaff(response)!.email,
        action: 'respondent.contacts_uploaded',
        detail: { survey: survey.code, agency: agency.code, file: upload.fileName, rows: report.rows, resent: report.resent, saved: report.saved, unchanged: report.unchanged, rejected: report.rejected, respondents: report.correctedRespondents },
      });
      renderContactsUpload(request, response, 200, { report });
    } catch (error) {
      if (error instanceof InputError) return renderContactsUpload(request, response, 422, { refused: error.message });
      throw error;
    }
  });

  // Adding one respondent by hand (a replacement for someone withdrawn, a newcomer), checked as an
  // import row is (respondents/service.ts, addRespondent). Administrators and the agency's liaison.
  const addPath = '/staff/monitoring/:survey/agencies/:code/respondents/new';
  const addForm = z.object({
    group: z.string().max(100).catch(''),
    name: z.string().max(400).catch(''),
    email: z.string().max(300).catch(''),
    phone: z.string().max(60).catch(''),
    unit: z.string().max(300).catch(''),
    language: z.string().max(10).catch(''),
    send: z.literal('yes').optional().catch(undefined),
  });
  /** What the add form and the details form offer: the survey's groups, the agency's units, the languages. */
  const respondentFormLocals = (request: Request, response: Response, survey: SurveyRecord, agency: { id: number; code: string; name: string }) => {
    const { t, language } = staffTranslator(request, response);
    return {
      t,
      language,
      staff: currentStaff(response)!,
      survey,
      agency,
      groups: Object.keys(survey.definition.groups).map((code) => ({ code, title: localize(survey.definition.groups[code]?.title, language) || code })),
      units: listUnits(db, agency.id).map((unit) => unit.name),
      languages: SUPPORTED_LANGUAGES,
    };
  };
  const renderAdd = (request: Request, response: Response, status: number, form?: z.infer<typeof addForm> & { errors: FieldProblem[] }) => {
    const { survey, agency } = agencyFor(request, response);
    if (survey.status === 'closed') throw new InputError(`Survey ${survey.code} is closed: no respondents can be added.`);
    response.status(status).render('monitoring/add', {
      ...respondentFormLocals(request, response, survey, agency),
      form: form ?? { group: Object.keys(survey.definition.groups)[0] ?? '', name: '', email: '', phone: '', unit: '', language: 'id', send: 'yes', errors: [] },
      formAction: `/staff/monitoring/${survey.code}/agencies/${agency.code}/respondents/new`,
    });
  };

  router.get(addPath, allow('administrator', 'liaison'), (request: Request, response: Response) => renderAdd(request, response, 200));

  router.post(addPath, allow('administrator', 'liaison'), verifyCsrf, (request: Request, response: Response) => {
    const { survey, agency } = agencyFor(request, response);
    const typed = addForm.parse(request.body ?? {});
    try {
      const { respondentId, channel } = addRespondent(db, clock, settings, { surveyCode: survey.code, agencyCode: agency.code }, typed, typed.send === 'yes');
      appendAudit(db, { at: clock.now().toISOString(), actor: currentStaff(response)!.email, action: 'respondent.added', detail: { survey: survey.code, agency: agency.code, respondent: respondentId, channel } });
      response.redirect(303, `/staff/monitoring/${survey.code}/agencies/${agency.code}?added=${channel ?? 'stored'}`);
    } catch (error) {
      if (error instanceof ValidationError) return renderAdd(request, response, 422, { ...typed, errors: error.problems });
      throw error;
    }
  });

  // Correcting a non-responder's name, group, unit or language (respondents/details.ts), on the
  // add form without its contact fields. Administrators and the agency's liaison, until the survey closes.
  const detailsPath = '/staff/monitoring/:survey/agencies/:code/respondents/:respondent/details';
  const detailsForm = addForm.pick({ group: true, name: true, unit: true, language: true }).extend({ confirm: z.literal('yes').optional().catch(undefined) });
  const renderDetails = (request: Request, response: Response, status: number, { target }: ReturnType<typeof respondentTarget>, form?: z.infer<typeof detailsForm> & { errors: FieldProblem[] }) => {
    const { survey, agency, record, language: storedLanguage, unit, hasDraft } = respondentDetails(db, target);
    if (record.status === 'completed') throw new ConflictError('This respondent has answered; their response stays under the group and unit it was given in.', 'completed');
    response.status(status).render('monitoring/add', {
      ...respondentFormLocals(request, response, survey, agency),
      respondentName: record.name,
      hasDraft,
      form: form ?? { group: record.groupCode, name: record.name, unit, language: storedLanguage, errors: [] },
      formAction: `/staff/monitoring/${survey.code}/agencies/${agency.code}/respondents/${record.respondentId}/details`,
    });
  };

  router.get(detailsPath, allow('administrator', 'liaison'), (request: Request, response: Response) => renderDetails(request, response, 200, respondentTarget(request, response)));

  router.post(detailsPath, allow('administrator', 'liaison'), verifyCsrf, (request: Request, response: Response) => {
    const subject = respondentTarget(request, response);
    const typed = detailsForm.parse(request.body ?? {});
    try {
      const { groupChanged } = updateRespondentDetails(db, subject.target, { ...typed, confirmed: typed.confirm === 'yes' });
      appendAudit(db, { at: clock.now().toISOString(), actor: currentStaff(response)!.email, action: 'respondent.details_changed', detail: { survey: subject.target.surveyCode, agency: subject.target.agencyCode, respondent: subject.target.respondentId, groupChanged } });
      response.redirect(303, `/staff/monitoring/${subject.target.surveyCode}/agencies/${subject.target.agencyCode}?changed=1`);
    } catch (error) {
      if (error instanceof ValidationError) return renderDetails(request, response, 422, subject, { ...typed, errors: error.problems });
      throw error;
    }
  });

  // Withdrawing a non-responder from the sample, and reinstating them (invitations/withdrawal.ts).
  // Administrators and the agency's own liaison, until the survey closes.
  const withdrawPath = '/staff/monitoring/:survey/agencies/:code/respondents/:respondent/withdraw';
  const renderWithdraw = (request: Request, response: Response, status: number, { survey, target }: ReturnType<typeof respondentTarget>, form = { reason: '', errors: [] as FieldProblem[] }) => {
    const record = withdrawalFor(db, target);
    response.status(status).render('monitoring/withdraw', {
      ...respondentPageLocals(request, response, survey, target.agencyCode, record),
      form,
      reasonMax: WITHDRAWAL_REASON_MAX,
    });
  };

  router.get(withdrawPath, allow('administrator', 'liaison'), (request: Request, response: Response) => {
    renderWithdraw(request, response, 200, respondentTarget(request, response));
  });

  router.post(withdrawPath, allow('administrator', 'liaison'), verifyCsrf, (request: Request, response: Response) => {
    const subject = respondentTarget(request, response);
    const { target } = subject;
    const reason = z.object({ reason: z.string().max(2000).catch('') }).parse(request.body ?? {}).reason;
    try {
      withdrawRespondent(db, clock, target, reason);
    } catch (error) {
      if (error instanceof ValidationError) return renderWithdraw(request, response, 422, subject, { reason, errors: error.problems });
      throw error;
    }
    // the reason stays on the invitation for staff to read; the audit says who withdrew whom
    appendAudit(db, { at: clock.now().toISOString(), actor: currentStaff(response)!.email, action: 'respondent.withdrawn', detail: { survey: target.surveyCode, agency: target.agencyCode, respondent: target.respondentId } });
    response.redirect(303, `/staff/monitoring/${target.surveyCode}/agencies/${target.agencyCode}?withdrawn=1`);
  });

  router.post('/staff/monitoring/:survey/agencies/:code/respondents/:respondent/reinstate', allow('administrator', 'liaison'), verifyCsrf, (request: Request, response: Response) => {
    const { target } = respondentTarget(request, response);
    reinstateRespondent(db, clock, target);
    appendAudit(db, { at: clock.now().toISOString(), actor: currentStaff(response)!.email, action: 'respondent.reinstated', detail: { survey: target.surveyCode, agency: target.agencyCode, respondent: target.respondentId } });
    response.redirect(303, `/staff/monitoring/${target.surveyCode}/agencies/${target.agencyCode}?reinstated=1`);
  });

  return router;
}
