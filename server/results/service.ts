import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { InputError, NotFoundError } from '../platform/errors.js';
import { statement } from '../platform/db.js';
import { overallResult, ScoreAccumulator, type AgencyResult, type OverallResult } from '../scoring/index.js';
import { requireSurvey } from '../surveys/service.js';
import { findAgencyByCode } from '../agencies/store.js';
import { insertResponseScores } from '../answering/store.js';
import { dimensionScoresOf } from '../scoring/index.js';
import { changeCount, noteChange } from '../platform/changes.js';
import { snapshotOn, type Reader } from '../platform/readerThread.js';
import type { SurveyRecord } from '../surveys/store.js';
import { countFlagged, countUnscoredResponses, dimensionSumsOf, iterateScoredResponses, listFlagged, listSurveyVersions, markScored, resultsInputQueries, resultsInputsFrom, type FlaggedResponse, type ResultsInputs } from './store.js';

export type { FlaggedResponse } from './store.js';

/** The results document of interfaces.md §4. Numbers are unrounded. */
export interface ResultsDocument {
  survey: string;
  computedAt: string;
  overall: OverallResult;
  agencies: ({ code: string; name: string } & AgencyResult)[];
}

/** Responses stored before their dimension scores were kept (migration 005) are scored once. */
function scoreOlderResponses(db: Db, surveyId: number): void {
  if (countUnscoredResponses(db, surveyId) === 0) return;
  const versions = listSurveyVersions(db, surveyId);
  db.transaction(() => {
    // read first: the statement cannot stay open while rows are written
    const unscored = [...iterateScoredResponses(db, surveyId, null, true)];
    for (const response of unscored) {
      const questionnaire = versions.get(response.version)?.questionnaires[response.group];
      if (questionnaire) {
        insertResponseScores(db, { id: response.id, surveyId, agencyId: response.agencyId, groupCode: response.group }, dimensionScoresOf(questionnaire, response.answers));
      }
      markScored(db, response.id);
    }
  }).immediate();
}

/** The document from its inputs (pure): the database has done the heavy part, one GROUP BY over
 * the stored s(r, d); this folds the sums per agency and group into components and indexes. */
function resultsFrom(survey: SurveyRecord, inputs: ResultsInputs, computedAt: string): ResultsDocument {
  const accumulator = new ScoreAccumulator(survey.definition, inputs.versions);
  for (const agency of inputs.agencies) accumulator.addAgency(agency.id);
  for (const counts of inputs.counts) {
    accumulator.addAggregate(counts.agencyId, counts.groupCode, counts, dimensionSumsOf(inputs.sums, counts.agencyId, counts.groupCode));
  }
  const results = inputs.agencies.map((agency) => ({ code: agency.code, name: agency.name, ...accumulator.agencyResult(agency.id, inputs.corrections.get(agency.id) ?? []) }));
  return { survey: survey.code, computedAt, overall: overallResult(survey.definition, results), agencies: results };
}

export function computeResults(db: Db, clock: Clock, surveyCode: string): ResultsDocument {
  const survey = requireSurvey(db, surveyCode);
  scoreOlderResponses(db, survey.id);
  // one read transaction: the sums see one consistent state of the database
  return resultsFrom(survey, resultsInputsFrom(snapshotOn(db, resultsInputQueries(survey.id))), clock.now().toISOString());
}

/** The same document, its inputs read by `reader`: on the reader thread, a national round's half
 * second of SQLite work does not hold up the respondents the server is answering meanwhile. */
export async function computeResultsOn(reader: Reader, db: Db, clock: Clock, surveyCode: string): Promise<ResultsDocument> {
  const survey = requireSurvey(db, surveyCode);
  scoreOlderResponses(db, survey.id);
  const computedAt = clock.now().toISOString();
  return resultsFrom(survey, resultsInputsFrom(await reader.snapshot(resultsInputQueries(survey.id))), computedAt);
}

/** How long a slow results document may be shared (see cachedResults). */
export interface ResultsReuse {
  reuseForMs: number;
  slowMs: number;
  /** milliseconds elapsed, for measuring the computation; the clock stays the one for "when" */
  elapsedMs: () => number;
}

export const DEFAULT_RESULTS_REUSE: ResultsReuse = { reuseForMs: 15_000, slowMs: 200, elapsedMs: () => performance.now() };

interface KeptDocument {
  key: string;
  staffChanges: number;
  document: ResultsDocument;
  computedAtMs: number;
  tookMs: number;
}

const documentCache = new WeakMap<Db, Map<string, KeptDocument>>();
const computing = new WeakMap<Db, Map<string, { key: string; staffChanges: number; promise: Promise<ResultsDocument> }>>();
const CACHED_SURVEYS = 8;

/** The results document for the staff pages, kept while the database is unchanged. The key is
 * what SQLite itself says about change: `PRAGMA data_version` moves when another connection (the
 * CLI, a second process) commits, `total_changes()` when this one writes anything at all. Once a
 * round is closed and quiet, inspectors' pages and the trend across rounds are served from here.
 *
 * Any write moves that key, including ones the document does not read (a sign-in, an audit entry,
 * an autosave). A national document takes about a second on the reader thread, so one that took
 * at least `slowMs` is reused for `reuseForMs` after such writes, unless a staff change to the
 * results was made in the meantime (platform/changes.ts), and requests arriving while it is
 * computed wait for that computation instead of starting their own. Small surveys stay exact.
 * `computedAt` stays the time it was computed, which the pages show. */
export async function cachedResults(db: Db, clock: Clock, surveyCode: string, reader: Reader, reuse: ResultsReuse = DEFAULT_RESULTS_REUSE): Promise<ResultsDocument> {
  let cache = documentCache.get(db);
  if (!cache) documentCache.set(db, (cache = new Map()));
  let running = computing.get(db);
  if (!running) computing.set(db, (running = new Map()));
  // the key before computing: a write made while the reader thread reads is never hidden by the
  // cache (the one write a first computation may make itself, scoring older responses, only
  // costs one more computation)
  const key = `${String(db.pragma('data_version', { simple: true }))}|${String(statement(db, 'SELECT total_changes()').pluck().get())}`;
  const staffChanges = changeCount(db, 'results');
  const cached = cache.get(surveyCode);
  const slow = cached !== undefined && cached.tookMs >= reuse.slowMs;
  if (cached && cached.staffChanges === staffChanges) {
    if (cached.key === key) return cached.document;
    if (slow && clock.now().getTime() - cached.computedAtMs < reuse.reuseForMs) return cached.document;
  }
  // a request arriving while the document is computed shares that computation, on the same terms
  const inFlight = running.get(surveyCode);
  if (inFlight && inFlight.staffChanges === staffChanges && (inFlight.key === key || slow)) return inFlight.promise;

  const startedMs = reuse.elapsedMs();
  const computedAtMs = clock.now().getTime();
  const promise = computeResultsOn(reader, db, clock, surveyCode).then((document) => {
    cache.delete(surveyCode);
    if (cache.size >= CACHED_SURVEYS) cache.delete(cache.keys().next().value!);
    cache.set(surveyCode, { key, staffChanges, document, computedAtMs, tookMs: reuse.elapsedMs() - startedMs });
    return document;
  });
  running.set(surveyCode, { key, staffChanges, promise });
  try {
    return await promise;
  } finally {
    if (running.get(surveyCode)?.promise === promise) running.delete(surveyCode);
  }
}

/** `results --format csv`: one row per agency. */
export function resultsCsvRows(document: ResultsDocument, groups: string[]): (string | number | null)[][] {
  const header = ['code', 'name', 'status', 'index', 'index_raw', 'category', ...groups.flatMap((group) => [`${group}_responses`, `${group}_component`])];
  return [
    header,
    ...document.agencies.map((agency) => [
      agency.code,
      agency.name,
      agency.status,
      agency.index,
      agency.indexRaw,
      agency.category,
      ...groups.flatMap((group) => [agency.groups[group]?.responses ?? 0, agency.groups[group]?.component ?? null]),
    ]),
  ];
}

/** Corrections (scoring.md §5): positive points and a reason, per agency and survey. */
export function addCorrection(db: Db, clock: Clock, input: { surveyCode: string; agencyCode: string; points: number; reason: string }): void {
  const survey = requireSurvey(db, input.surveyCode);
  const agency = findAgencyByCode(db, input.agencyCode);
  if (!agency) throw new NotFoundError(`No agency with code "${input.agencyCode}"`);
  if (!Number.isFinite(input.points) || input.points <= 0 || input.points > 100) throw new InputError('--points must be a number above 0 and at most 100');
  if (input.reason.trim() === '') throw new InputError('--reason is required: say why the index is corrected');
  statement(db, 'INSERT INTO corrections (survey_id, agency_id, points, reason, created_at) VALUES (?, ?, ?, ?, ?)').run(
    survey.id,
    agency.id,
    input.points,
    input.reason.trim(),
    clock.now().toISOString(),
  );
  noteChange(db, 'results');
}

/** How many responses carry a quality flag or a manual exclusion (in one agency, if given). */
export function countFlaggedResponses(db: Db, surveyCode: string, agencyCode?: string): number {
  return countFlagged(db, requireSurvey(db, surveyCode).id, agencyCode);
}

/** Responses with a quality flag or a manual exclusion: what an administrator reviews. All of
 * them (the CLI), or one page (the review page: a national round can flag tens of thousands). */
export function listFlaggedResponses(db: Db, surveyCode: string, agencyCode?: string, page?: { limit: number; offset: number }): FlaggedResponse[] {
  return listFlagged(db, requireSurvey(db, surveyCode).id, agencyCode, page);
}

/** Excludes a response by hand, or clears its automatic flags; a reason is required. */
export function reviewResponse(db: Db, input: { surveyCode: string; responseId: string; action: 'exclude' | 'clear-flags'; reason: string }): void {
  const survey = requireSurvey(db, input.surveyCode);
  if (input.reason.trim() === '') throw new InputError('--reason is required');
  const sql =
    input.action === 'exclude'
      ? 'UPDATE responses SET flag_manual = 1, manual_reason = ? WHERE survey_id = ? AND id = ?'
      : `UPDATE responses SET flags_cleared = 1, cleared_reason = ? WHERE survey_id = ? AND id = ? AND (flag_speeder = 1 OR flag_straightliner = 1)`;
  const changed = statement(db, sql).run(input.reason.trim(), survey.id, input.responseId).changes;
  if (changed === 0) {
    throw new NotFoundError(
      input.action === 'exclude' ? `No response ${input.responseId} in survey ${survey.code}` : `No response ${input.responseId} with an automatic flag in survey ${survey.code}`,
    );
  }
  noteChange(db, 'results');
}
