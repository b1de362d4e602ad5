import { Router, type Request, type Response } from 'express';
import { csvLine } from '../platform/csv.js';
import { writeXlsx } from '../platform/tabular.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import type { Reader } from '../platform/readerThread.js';
import { AppError, NotFoundError } from '../platform/errors.js';
import { z } from 'zod';
import { dateFormat, numberFormat, type Translate } from '../platform/i18n.js';
import { pageHref, pageOf, pageParameter } from '../platform/paging.js';
import { isExcluded, ScoreAccumulator } from '../scoring/index.js';
import { allow, currentStaff, ForbiddenError, staffTranslator, verifyCsrf } from '../staff/http.js';
import { appendAudit } from '../staff/store.js';
import { localize } from '../surveys/localize.js';
import { requireSurvey } from '../surveys/service.js';
import { listSurveys, type SurveyRecord } from '../surveys/store.js';
import { canSeeAgency, canSeeResults } from './access.js';
import { barChart, lineChart } from './charts.js';
import { addCorrection, cachedResults, countFlaggedResponses, listFlaggedResponses, resultsCsvRows, reviewResponse, type ResultsDocument } from './service.js';
import { findAgencyByCode } from '../agencies/store.js';
import { agencyFollowUp } from '../followUp/pages.js';
import { dimensionSumsOf, listSurveyAgencies, listSurveyVersions, unitCompletions, unitInputQueries, unitInputsFrom } from './store.js';

/** Results pages for staff: national overview, agency page, "how was this computed", exports. */

export function formatNumber(value: number | null | undefined, language: string): string {
  if (value === null || value === undefined) return '–';
  return numberFormat(language, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
}

/** How many agencies fall in each category, as the overview and the public page draw it. */
export function categoryDistributionChart(categories: { title: string; count: number }[], t: Translate): string {
  return barChart({
    title: t('results.category_distribution'),
    description: t('results.category_distribution_desc'),
    bars: categories.map((category) => ({ label: category.title, value: category.count })),
    max: Math.max(1, ...categories.map((category) => category.count)),
    format: (value) => String(value),
  });
}

const rankingFilters = z.object({
  kind: z.string().max(20).optional().catch(undefined),
  parent: z.string().max(40).optional().catch(undefined),
  q: z.string().max(100).optional().catch(undefined),
  sort: z.enum(['index', 'name']).optional().catch(undefined),
  page: pageParameter,
});

// A national round ranks some 600 agencies: the page shows them a hundred at a time.
const RANKING_ROWS_PER_PAGE = 100;

export function resultsPages(db: Db, clock: Clock, settings: { minCell: number; timeZone: string }, reader: Reader): Router {
  const router = Router();

  function visibleSurvey(request: Request, response: Response): SurveyRecord {
    const survey = requireSurvey(db, String(request.params.survey));
    if (!canSeeResults(currentStaff(response)!, survey.status)) throw new ForbiddenError();
    return survey;
  }

  function common(request: Request, response: Response, survey: SurveyRecord) {
    const { t, language } = staffTranslator(request, response);
    return {
      t,
      language,
      staff: currentStaff(response)!,
      survey,
      surveyTitle: localize(survey.definition.title, language),
      provisional: survey.status !== 'closed',
      fmt: (value: number | null | undefined) => formatNumber(value, language),
      // a national document may be shared for a few seconds (cachedResults): the page says when it was computed
      computedTime: (document: ResultsDocument) => dateFormat(language, { dateStyle: 'medium', timeStyle: 'medium', timeZone: settings.timeZone }).format(new Date(document.computedAt)),
      categoryTitle: (code: string | null) => (code ? localize(survey.definition.categories.find((category) => category.code === code)?.title, language) : ''),
      groupTitle: (code: string) => localize(survey.definition.groups[code]?.title, language) || code,
      dimensionTitle: (code: string) => localize(survey.definition.dimensions.find((dimension) => dimension.code === code)?.title, language) || code,
      wide: true,
    };
  }

  router.get('/staff/results/:survey', allow(), async (request: Request, response: Response) => {
    const survey = visibleSurvey(request, response);
    const staff = currentStaff(response)!;
    if (staff.role === 'liaison') return response.redirect(303, `/staff/results/${survey.code}/agencies/${staff.agencyCode}`);
    const locals = common(request, response, survey);
    const document = await cachedResults(db, clock, survey.code, reader);
    const agencies = listSurveyAgencies(db, survey.id);
    const kindOf = new Map(agencies.map((agency) => [agency.code, agency]));
    const { kind = '', parent = '', q = '', sort = 'index', page } = rankingFilters.parse(request.query);
    const search = q.trim().toLowerCase();
    const rows = document.agencies
      .filter((agency) => (kind === '' || kindOf.get(agency.code)?.kind === kind) && (parent === '' || kindOf.get(agency.code)?.parentCode === parent))
      .filter((agency) => search === '' || agency.name.toLowerCase().includes(search) || agency.code.toLowerCase().includes(search))
      .sort((a, b) => (sort === 'name' ? a.name.localeCompare(b.name) : (b.index ?? -1) - (a.index ?? -1) || a.name.localeCompare(b.name)));
    const paging = pageOf(rows.length, page, RANKING_ROWS_PER_PAGE);
    const t: Translate = locals.t;
    const categories = survey.definition.categories.map((category) => ({ code: category.code, title: localize(category.title, locals.language), count: document.overall.categories[category.code] ?? 0 }));
    response.render('results/overview', {
      ...locals,
      document,
      rows: rows.slice(paging.offset, paging.offset + paging.perPage),
      paging,
      hrefFor: (target: number) => pageHref(`/staff/results/${survey.code}`, { kind, parent, q, sort }, target),
      kinds: [...new Set(agencies.map((agency) => agency.kind))].sort(),
      parents: [...new Set(agencies.map((agency) => agency.parentCode).filter((code): code is string => code !== null))].sort(),
      filter: { kind, parent, q, sort },
      categories,
      insufficient: document.agencies.length - document.overall.agencies,
      target: survey.definition.target ?? null,
      categoryChart: categoryDistributionChart(categories, t),
      rankingChart: barChart({
        title: t('results.ranking'),
        description: `${t('results.index')} (0–100)` + (survey.definition.target !== undefined ? `; ${t('results.target')} ${locals.fmt(survey.definition.target)}` : ''),
        bars: rows.filter((row) => row.index !== null).slice(0, 40).map((row) => ({ label: row.name, value: row.index })),
        reference: survey.definition.target !== undefined ? { value: survey.definition.target, label: `${t('results.target')} ${locals.fmt(survey.definition.target)}` } : undefined,
        format: locals.fmt,
      }),
    });
  });

  async function agencyContext(request: Request, response: Response) {
    const survey = visibleSurvey(request, response);
    const code = String(request.params.code);
    if (!canSeeAgency(currentStaff(response)!, code)) throw new ForbiddenError();
    const document = await cachedResults(db, clock, survey.code, reader);
    const agency = document.agencies.find((candidate) => candidate.code.toLowerCase() === code.toLowerCase());
    if (!agency) throw new NotFoundError(`No agency ${code} in survey ${survey.code}`);
    return { survey, document, agency };
  }

  /** National mean of each group's dimension score, over the agencies where it exists. */
  function nationalDimensionMeans(document: ResultsDocument): Map<string, number> {
    const sums = new Map<string, { sum: number; n: number }>();
    for (const agency of document.agencies) {
      for (const [group, result] of Object.entries(agency.groups)) {
        for (const [dimension, score] of Object.entries(result.dimensions)) {
          const key = `${group}|${dimension}`;
          const sum = sums.get(key) ?? { sum: 0, n: 0 };
          sum.sum += score.score;
          sum.n++;
          sums.set(key, sum);
        }
      }
    }
    return new Map([...sums].map(([key, sum]) => [key, sum.sum / sum.n]));
  }

  router.get('/staff/results/:survey/agencies/:code', allow(), async (request: Request, response: Response) => {
    const { survey, document, agency } = await agencyContext(request, response);
    const locals = common(request, response, survey);
    const t: Translate = locals.t;
    const means = nationalDimensionMeans(document);
    const staff = currentStaff(response)!;

    // Trend: every round this staff member may see that holds the same agency code.
    const trend: { code: string; title: string; index: number | null }[] = [];
    for (const round of listSurveys(db)
      .filter((candidate) => canSeeResults(staff, candidate.status))
      .sort((a, b) => a.opensOn.localeCompare(b.opensOn))) {
      const roundAgency = round.id === survey.id ? agency : (await cachedResults(db, clock, round.code, reader)).agencies.find((candidate) => candidate.code === agency.code);
      if (roundAgency) trend.push({ code: round.code, title: localize(round.definition.title, locals.language), index: roundAgency.index });
    }
    const position = trend.findIndex((round) => round.code === survey.code);
    const previous = position > 0 ? trend[position - 1] : undefined;
    const change = previous && previous.index !== null && agency.index !== null ? agency.index - previous.index : null;

    // Units: completions from invitations; scores only from at least minCell responses.
    const agencyRecord = findAgencyByCode(db, agency.code)!;
    const unitAccumulator = new ScoreAccumulator(survey.definition, listSurveyVersions(db, survey.id));
    const unitInputs = unitInputsFrom(await reader.snapshot(unitInputQueries(survey.id, agencyRecord.id)));
    for (const counts of unitInputs.counts) unitAccumulator.addAggregate(counts.unitId, counts.groupCode, counts, dimensionSumsOf(unitInputs.sums, counts.unitId, counts.groupCode));
    const units = unitCompletions(db, survey.id, agencyRecord.id).map((unit) => {
      const result = unitAccumulator.agencyResult(unit.unitId);
      const groups = Object.keys(survey.definition.groups).map((group) => {
        const groupResult = result.groups[group]!;
        return { group, responses: groupResult.responses, component: groupResult.responses >= settings.minCell ? groupResult.component : null, suppressed: groupResult.responses < settings.minCell };
      });
      return { ...unit, groups };
    });

    const groupCharts = Object.entries(agency.groups).map(([group, result]) => ({
      group,
      result,
      chart: barChart({
        title: `${t('results.dimensions_chart')}: ${locals.groupTitle(group)}`,
        description: t('results.dimensions_chart_desc'),
        bars: survey.definition.dimensions
          .filter((dimension) => result.dimensions[dimension.code] || means.has(`${group}|${dimension.code}`))
          .map((dimension) => ({ label: locals.dimensionTitle(dimension.code), value: result.dimensions[dimension.code]?.score ?? null, marker: means.get(`${group}|${dimension.code}`) ?? null })),
        format: locals.fmt,
      }),
      rows: survey.definition.dimensions.map((dimension) => ({
        title: locals.dimensionTitle(dimension.code),
        score: result.dimensions[dimension.code]?.score ?? null,
        n: result.dimensions[dimension.code]?.n ?? 0,
        national: means.get(`${group}|${dimension.code}`) ?? null,
      })),
    }));

    response.render('results/agency', {
      ...locals,
      document,
      agency,
      followUp: agencyFollowUp(db, clock, settings.timeZone, { survey, agencyId: agencyRecord.id, staff, t, language: locals.language }, request.query.action),
      groupCharts,
      units,
      minCell: settings.minCell,
      trend,
      change,
      trendChart: lineChart({ title: t('results.trend'), description: t('results.trend_desc'), points: trend.map((round) => ({ label: round.code, value: round.index })), format: locals.fmt }),
    });
  });

  router.get('/staff/results/:survey/agencies/:code/method', allow(), async (request: Request, response: Response) => {
    const { survey, agency } = await agencyContext(request, response);
    const locals = common(request, response, survey);
    response.render('results/method', { ...locals, agency, groups: survey.definition.groups, categories: survey.definition.categories });
  });

  const reviewBody = z.object({ response: z.string().max(64), action: z.enum(['exclude', 'clear-flags']), reason: z.string().max(500) });
  const correctionBody = z.object({ agency: z.string().max(40), points: z.string().max(20), reason: z.string().max(500) });
  const reviewQuery = z.object({ agency: z.string().max(40).optional().catch(undefined), page: pageParameter });
  const FLAGGED_PER_PAGE = 50;

  function renderReview(request: Request, response: Response, status = 200, feedback: { message?: string; error?: string } = {}) {
    const survey = visibleSurvey(request, response);
    const locals = common(request, response, survey);
    // the list shown is kept after a decision: the forms post to the same address, query included
    const shown = reviewQuery.parse(request.query);
    const agencies = listSurveyAgencies(db, survey.id);
    const agencyCode = agencies.some((agency) => agency.code === shown.agency) ? shown.agency : undefined;
    const paging = pageOf(countFlaggedResponses(db, survey.code, agencyCode), shown.page, FLAGGED_PER_PAGE);
    const flagged = listFlaggedResponses(db, survey.code, agencyCode, { limit: paging.perPage, offset: paging.offset }).map((row) => ({
      ...row,
      automatic: row.speeder === 1 || row.straightliner === 1,
      flags: [row.speeder ? 'speeder' : '', row.straightliner ? 'straightliner' : '', row.manual ? 'manual' : ''].filter(Boolean).join(', '),
      excluded: isExcluded({ speeder: row.speeder === 1, straightliner: row.straightliner === 1, manual: row.manual === 1, cleared: row.cleared === 1 }),
    }));
    const hrefFor = (page: number) => pageHref(`/staff/results/${survey.code}/review`, { agency: agencyCode }, page);
    response.status(status).render('results/review', {
      ...locals,
      flagged,
      agencies,
      agencyCode,
      paging,
      hrefFor,
      formAction: hrefFor(paging.page),
      message: feedback.message,
      error: feedback.error,
    });
  }

  router.get('/staff/results/:survey/review', allow('administrator'), (request: Request, response: Response) => renderReview(request, response));

  router.post('/staff/results/:survey/review', allow('administrator'), verifyCsrf, (request: Request, response: Response) => {
    const survey = visibleSurvey(request, response);
    const { t } = staffTranslator(request, response);
    const body = reviewBody.safeParse(request.body);
    if (!body.success) return renderReview(request, response, 422, { error: 'response, action, reason' });
    try {
      reviewResponse(db, { surveyCode: survey.code, responseId: body.data.response, action: body.data.action, reason: body.data.reason });
    } catch (error) {
      if (error instanceof AppError) return renderReview(request, response, error.status, { error: error.message });
      throw error;
    }
    appendAudit(db, { at: clock.now().toISOString(), actor: currentStaff(response)!.email, action: `response.${body.data.action}`, detail: { survey: survey.code, response: body.data.response } });
    renderReview(request, response, 200, { message: t('review.done') });
  });

  router.post('/staff/results/:survey/corrections', allow('administrator'), verifyCsrf, (request: Request, response: Response) => {
    const survey = visibleSurvey(request, response);
    const { t } = staffTranslator(request, response);
    const body = correctionBody.safeParse(request.body);
    if (!body.success) return renderReview(request, response, 422, { error: 'agency, points, reason' });
    const points = Number(body.data.points.trim().replace(',', '.'));
    try {
      addCorrection(db, clock, { surveyCode: survey.code, agencyCode: body.data.agency, points, reason: body.data.reason });
    } catch (error) {
      if (error instanceof AppError) return renderReview(request, response, error.status, { error: error.message.replace('--points', 'Points').replace('--reason', 'Reason') });
      throw error;
    }
    appendAudit(db, { at: clock.now().toISOString(), actor: currentStaff(response)!.email, action: 'correction.add', detail: { survey: survey.code, agency: body.data.agency, points } });
    renderReview(request, response, 200, { message: t('review.done') });
  });

  router.get('/staff/results/:survey/export.:format', allow('administrator', 'inspector'), async (request: Request, response: Response) => {
    const survey = visibleSurvey(request, response);
    const format = String(request.params.format);
    if (!['csv', 'xlsx', 'json'].includes(format)) throw new NotFoundError('No such export format');
    const document = await cachedResults(db, clock, survey.code, reader);
    appendAudit(db, { at: clock.now().toISOString(), actor: currentStaff(response)!.email, action: 'results.export', detail: { survey: survey.code, format, agencies: document.agencies.length } });
    const fileName = `results-${survey.code}.${format}`;
    response.set('Content-Disposition', `attachment; filename="${fileName}"`);
    if (format === 'json') return void response.type('application/json').send(JSON.stringify(document, null, 2));
    const rows = resultsCsvRows(document, Object.keys(survey.definition.groups));
    if (format === 'csv') {
      response.type('text/csv; charset=utf-8');
      response.write('\uFEFF'); // spreadsheets read UTF-8 names correctly with a BOM
      for (const row of rows) response.write(csvLine(row));
      return void response.end();
    }
    response.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    await writeXlsx(response, survey.code, rows);
  });

  return router;
}
