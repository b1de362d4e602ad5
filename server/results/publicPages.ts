import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import { csvLine } from '../platform/csv.js';
import type { Db } from '../platform/db.js';
import { NotFoundError } from '../platform/errors.js';
import { dateFormat, translator } from '../platform/i18n.js';
import { pageHref, pageOf, pageParameter } from '../platform/paging.js';
import type { Reader } from '../platform/readerThread.js';
import { allow, currentStaff, staffTranslator, verifyCsrf } from '../staff/http.js';
import { appendAudit } from '../staff/store.js';
import { localize } from '../surveys/localize.js';
import { requireSurvey } from '../surveys/service.js';
import type { SurveyRecord } from '../surveys/store.js';
import { categoryDistributionChart, formatNumber } from './pages.js';
import { findPublication, publishedDocument, publishedRounds, publishResults, requirePublishable, withdrawPublication } from './publication.js';
import { publicRanking } from './ranking.js';
import { cachedResults } from './service.js';
import { listSurveyAgencies } from './store.js';

/** Publishing results, and what the public then sees: /hasil lists the published rounds, and
 * /hasil/{survey} a round's national figures, category distribution and ranking of agencies, with
 * each agency's change against the previous published round and the method in a few lines. No
 * sign-in; nothing per unit, group, dimension or response. Administrators publish a closed round
 * (after corrections and review) and may withdraw the publication, each after a confirmation. */

const RANKING_ROWS_PER_PAGE = 100;

const rankingFilters = z.object({
  kind: z.string().max(20).optional().catch(undefined),
  q: z.string().max(100).optional().catch(undefined),
  page: pageParameter,
});

/** ?lang=en or id; Bahasa Indonesia first. */
function publicLanguage(request: Request): 'id' | 'en' {
  return request.query.lang === 'en' ? 'en' : 'id';
}

export function publicationPages(db: Db, clock: Clock, settings: { timeZone: string }, reader: Reader): Router {
  const router = Router();
  const publishedDay = (iso: string, language: string) => dateFormat(language, { dateStyle: 'long', timeZone: settings.timeZone }).format(new Date(iso));

  // --- staff: publish and withdraw, each confirmed on this page ---

  router.get('/staff/results/:survey/publish', allow('administrator'), async (request: Request, response: Response) => {
    const survey = requireSurvey(db, String(request.params.survey));
    const { t, language } = staffTranslator(request, response);
    const document = survey.status === 'closed' ? await cachedResults(db, clock, survey.code, reader) : null;
    const publication = findPublication(db, survey.id);
    const computed = dateFormat(language, { dateStyle: 'medium', timeStyle: 'short', timeZone: settings.timeZone });
    response.render('results/publish', {
      t,
      language,
      staff: currentStaff(response)!,
      survey,
      surveyTitle: localize(survey.definition.title, language),
      publication: publication && {
        ...publication,
        day: publishedDay(publication.publishedAt, language),
        computedAt: computed.format(new Date(publishedDocument(db, survey.id, publication).computedAt)),
      },
      ranked: document?.overall.agencies ?? 0,
      insufficient: document ? document.agencies.length - document.overall.agencies : 0,
      publicHref: `/hasil/${survey.code}`,
    });
  });

  router.post('/staff/results/:survey/publish', allow('administrator'), verifyCsrf, async (request: Request, response: Response) => {
    const survey = requireSurvey(db, String(request.params.survey));
    const staff = currentStaff(response)!;
    requirePublishable(survey); // before computing what would be published
    const document = await cachedResults(db, clock, survey.code, reader);
    const publication = publishResults(db, clock, survey, staff.email, document);
    appendAudit(db, { at: clock.now().toISOString(), actor: staff.email, action: 'results.published', detail: { survey: survey.code, publishedAt: publication.publishedAt, agencies: document.agencies.length } });
    response.redirect(303, `/staff/results/${survey.code}/publish`);
  });

  router.post('/staff/results/:survey/unpublish', allow('administrator'), verifyCsrf, (request: Request, response: Response) => {
    const survey = requireSurvey(db, String(request.params.survey));
    const staff = currentStaff(response)!;
    if (withdrawPublication(db, survey)) appendAudit(db, { at: clock.now().toISOString(), actor: staff.email, action: 'results.unpublished', detail: { survey: survey.code } });
    response.redirect(303, `/staff/results/${survey.code}/publish`);
  });

  // --- the public ---

  function languageLinks(request: Request, language: string) {
    const t = translator(language);
    const path = request.path;
    return (['id', 'en'] as const).map((code) => ({ code, label: t(`lang.${code}`), href: `${path}?lang=${code}`, current: code === language }));
  }

  router.get('/hasil', (request: Request, response: Response) => {
    const language = publicLanguage(request);
    const t = translator(language);
    response.render('results/public-index', {
      t,
      language,
      languageLinks: languageLinks(request, language),
      rounds: publishedRounds(db).map(({ survey, publication }) => ({ code: survey.code, title: localize(survey.definition.title, language), day: publishedDay(publication.publishedAt, language) })),
      langQuery: language === 'en' ? '?lang=en' : '',
    });
  });

  /** A published round's document and ranking, or 404 as for a survey that does not exist. */
  function publishedRound(request: Request) {
    const code = String(request.params.survey);
    const rounds = publishedRounds(db);
    const position = rounds.findIndex((round) => round.survey.code === code);
    if (position < 0) throw new NotFoundError('No published results for this survey');
    const { survey, publication } = rounds[position]!;
    const document = publishedDocument(db, survey.id, publication);
    // the previous published round: the latest that opened before this one
    const earlierRound = rounds.find((round) => round.survey.opensOn < survey.opensOn);
    const earlier = earlierRound && publishedDocument(db, earlierRound.survey.id, earlierRound.publication);
    const kindOf = new Map(listSurveyAgencies(db, survey.id).map((agency) => [agency.code, agency.kind]));
    const ranking = publicRanking(document, kindOf, earlier && new Map(earlier.agencies.map((agency) => [agency.code, agency.index])));
    return { survey, publication, document, ranking, earlierRound: earlierRound?.survey };
  }

  router.get('/hasil/:survey', (request: Request, response: Response) => {
    const { survey, publication, document, ranking, earlierRound } = publishedRound(request);
    const language = publicLanguage(request);
    const t = translator(language);
    const fmt = (value: number | null | undefined) => formatNumber(value, language);
    const { kind = '', q = '', page } = rankingFilters.parse(request.query);
    const search = q.trim().toLowerCase();
    const rows = ranking.filter((row) => (kind === '' || row.kind === kind) && (search === '' || row.name.toLowerCase().includes(search) || row.code.toLowerCase().includes(search)));
    const paging = pageOf(rows.length, page, RANKING_ROWS_PER_PAGE);
    const categories = survey.definition.categories.map((category) => ({ code: category.code, title: localize(category.title, language), min: category.min, count: document.overall.categories[category.code] ?? 0 }));
    const langParameter = language === 'en' ? 'en' : undefined;
    response.render('results/public', {
      t,
      language,
      languageLinks: languageLinks(request, language),
      wide: true,
      survey,
      surveyTitle: localize(survey.definition.title, language),
      publishedDay: publishedDay(publication.publishedAt, language),
      document,
      fmt,
      signed: (value: number | null) => (value === null ? '–' : (value > 0 ? '+' : '') + fmt(value)),
      target: survey.definition.target ?? null,
      categories,
      categoryTitle: (code: string | null) => (code ? (categories.find((category) => category.code === code)?.title ?? code) : ''),
      categoryChart: categoryDistributionChart(categories, t),
      groups: Object.entries(survey.definition.groups).map(([code, group]) => ({ title: localize(group.title, language) || code, weight: group.weight, minResponses: group.minResponses })),
      earlierTitle: earlierRound ? localize(earlierRound.definition.title, language) : null,
      insufficient: document.agencies.length - document.overall.agencies,
      kinds: [...new Set(ranking.map((row) => row.kind))].filter(Boolean).sort(),
      filter: { kind, q },
      rows: rows.slice(paging.offset, paging.offset + paging.perPage),
      paging,
      hrefFor: (target: number) => pageHref(`/hasil/${survey.code}`, { kind, q, lang: langParameter }, target),
      csvHref: `/hasil/${survey.code}/peringkat.csv${language === 'en' ? '?lang=en' : ''}`,
      langQuery: language === 'en' ? '?lang=en' : '',
    });
  });

  router.get('/hasil/:survey/peringkat.csv', (request: Request, response: Response) => {
    const { survey, ranking } = publishedRound(request);
    const language = publicLanguage(request);
    const categoryTitle = new Map(survey.definition.categories.map((category) => [category.code, localize(category.title, language)]));
    response.set('Content-Disposition', `attachment; filename="hasil-${survey.code}.csv"`);
    response.type('text/csv; charset=utf-8');
    response.write('\uFEFF'); // spreadsheets read UTF-8 names correctly with a BOM
    response.write(csvLine(['rank', 'agency_code', 'agency_name', 'kind', 'index', 'category', 'change']));
    // unrounded, as the results document: rounding is for display (scoring.md)
    for (const row of ranking) response.write(csvLine([row.rank, row.code, row.name, row.kind, row.index, row.category && (categoryTitle.get(row.category) ?? row.category), row.change]));
    response.end();
  });

  return router;
}

