import { statement, type Db } from '../platform/db.js';
import type { Query } from '../platform/readerThread.js';
import type { SurveyDefinition } from '../surveys/schema.js';
import type { ScoredResponse } from '../scoring/index.js';
import type { Answers } from '../answering/rules.js';

export interface ResultAgency {
  id: number;
  code: string;
  name: string;
  kind: string;
  parentCode: string | null;
}

/** Rows of one query on a connection. */
function rowsOn<Row>(db: Db, query: Query): Row[] {
  return statement(db, query.sql).all(...query.parameters) as Row[];
}

/** Every agency of the survey's respondent lists or responses. Asked per agency (a few hundred
 * index look-ups) rather than as the union of every respondent's and response's agency, which
 * read 600,000 index entries at national size for every review page and results overview. */
const agenciesQuery = (surveyId: number): Query => ({
  sql: `SELECT a.id, a.code, a.name, a.kind, p.code AS parentCode
       FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id
      WHERE EXISTS (SELECT 1 FROM respondents r WHERE r.survey_id = ? AND r.agency_id = a.id)
         OR EXISTS (SELECT 1 FROM responses s WHERE s.survey_id = ? AND s.agency_id = a.id)
      ORDER BY a.code`,
  parameters: [surveyId, surveyId],
});

export function listSurveyAgencies(db: Db, surveyId: number): ResultAgency[] {
  return rowsOn<ResultAgency>(db, agenciesQuery(surveyId));
}

const versionsQuery = (surveyId: number): Query => ({ sql: 'SELECT version, definition_json AS json FROM survey_versions WHERE survey_id = ?', parameters: [surveyId] });
const versionsFrom = (rows: { version: number; json: string }[]) => new Map(rows.map((row) => [row.version, JSON.parse(row.json) as SurveyDefinition]));

export function listSurveyVersions(db: Db, surveyId: number): Map<number, SurveyDefinition> {
  return versionsFrom(rowsOn(db, versionsQuery(surveyId)));
}

const correctionsQuery = (surveyId: number): Query => ({ sql: 'SELECT agency_id AS agencyId, points, reason FROM corrections WHERE survey_id = ? ORDER BY id', parameters: [surveyId] });
function correctionsFrom(rows: { agencyId: number; points: number; reason: string }[]): Map<number, { points: number; reason: string }[]> {
  const byAgency = new Map<number, { points: number; reason: string }[]>();
  for (const row of rows) byAgency.set(row.agencyId, [...(byAgency.get(row.agencyId) ?? []), { points: row.points, reason: row.reason }]);
  return byAgency;
}

interface AnswerRow {
  id: string;
  agencyId: number;
  groupCode: string;
  unitId: number | null;
  version: number;
  speeder: number;
  straightliner: number;
  manual: number;
  cleared: number;
  itemCode: string | null;
  valueJson: string | null;
}

/** Streams the survey's responses with their answers, one response at a time: all of them, one
 * agency's (read through the agency index), or those not scored yet (through their partial index).
 * Each case is its own fixed SQL text: an "(? IS NULL OR agency_id = ?)" condition would stop SQLite
 * from using the index and scan the whole survey (0.5 s per agency page at national size). */
export function* iterateScoredResponses(db: Db, surveyId: number, agencyId: number | null = null, onlyUnscored = false): Generator<ScoredResponse & { id: string; unitId: number | null }> {
  const conditions = [...(agencyId !== null ? [' AND r.agency_id = ?'] : []), ...(onlyUnscored ? [' AND r.scored = 0'] : [])].join('');
  const rows = statement(
    db,
    `SELECT r.id, r.agency_id AS agencyId, r.group_code AS groupCode, r.questionnaire_version AS version,
            r.unit_id AS unitId, r.flag_speeder AS speeder, r.flag_straightliner AS straightliner, r.flag_manual AS manual, r.flags_cleared AS cleared,
            a.item_code AS itemCode, a.value_json AS valueJson
       FROM responses r LEFT JOIN response_answers a ON a.response_id = r.id
      WHERE r.survey_id = ?${conditions}
      ORDER BY r.id`,
  ).iterate(...(agencyId !== null ? [surveyId, agencyId] : [surveyId])) as IterableIterator<AnswerRow>;
  let current: { id: string; response: ScoredResponse & { id: string; unitId: number | null } } | undefined;
  for (const row of rows) {
    if (!current || current.id !== row.id) {
      if (current) yield current.response;
      const answers: Answers = {};
      current = {
        id: row.id,
        response: {
          id: row.id,
          agencyId: row.agencyId,
          unitId: row.unitId,
          group: row.groupCode,
          version: row.version,
          answers,
          flags: { speeder: row.speeder === 1, straightliner: row.straightliner === 1, manual: row.manual === 1, cleared: row.cleared === 1 },
        },
      };
    }
    if (row.itemCode !== null) current.response.answers[row.itemCode] = JSON.parse(row.valueJson!) as Answers[string];
  }
  if (current) yield current.response;
}

/** Per unit of an agency: how many invitations were completed (from invitations, never from answers),
 * out of those in the sample (not withdrawn). */
export function unitCompletions(db: Db, surveyId: number, agencyId: number): { unitId: number; name: string; invited: number; completed: number }[] {
  return statement(
    db,
    `SELECT u.id AS unitId, u.name, COUNT(i.id) AS invited, COALESCE(SUM(i.status = 'completed'), 0) AS completed
       FROM agency_units u
       LEFT JOIN respondents r ON r.unit_id = u.id AND r.survey_id = ?
       LEFT JOIN invitations i ON i.respondent_id = r.id AND i.withdrawn_at IS NULL
      WHERE u.agency_id = ?
      GROUP BY u.id ORDER BY u.name`,
  ).all(surveyId, agencyId) as { unitId: number; name: string; invited: number; completed: number }[];
}

// Excluded (scoring.md §6): a manual exclusion, or an automatic flag that was not cleared.
const EXCLUDED = `(r.flag_manual = 1 OR (r.flags_cleared = 0 AND (r.flag_speeder = 1 OR r.flag_straightliner = 1)))`;

/** Eligible and excluded responses per agency and group. */
const countsQuery = (surveyId: number): Query => ({
  sql: `SELECT r.agency_id AS agencyId, r.group_code AS groupCode, SUM(NOT ${EXCLUDED}) AS responses, SUM(${EXCLUDED}) AS excluded
       FROM responses r WHERE r.survey_id = ? GROUP BY r.agency_id, r.group_code`,
  parameters: [surveyId],
});

type DimensionSum = { dimension: string; sum: number; n: number };
type DimensionSumRow = DimensionSum & { agencyId: number; groupCode: string };

/** Sums of s(r, d) per dimension, for each agency (or unit) and group: what
 * `ScoreAccumulator.addAggregate` takes. Read them with `dimensionSumsOf`. */
export type DimensionSumsByGroup = Map<string, DimensionSum[]>;

function groupDimensionSums<Row extends DimensionSum & { groupCode: string }>(rows: Row[], ownerOf: (row: Row) => number): DimensionSumsByGroup {
  const byGroup: DimensionSumsByGroup = new Map();
  for (const row of rows) {
    const key = `${ownerOf(row)}|${row.groupCode}`;
    let sums = byGroup.get(key);
    if (!sums) byGroup.set(key, (sums = []));
    sums.push({ dimension: row.dimension, sum: row.sum, n: row.n });
  }
  return byGroup;
}

export function dimensionSumsOf(sums: DimensionSumsByGroup, ownerId: number, groupCode: string): DimensionSum[] {
  return sums.get(`${ownerId}|${groupCode}`) ?? [];
}

/** Per agency, group and dimension: the sum and count of s(r, d) over eligible responses. The
 * totals come from one covering index; the few excluded responses are then taken away, so the
 * common case never joins a score back to its response. */
const totalsQuery = (surveyId: number): Query => ({
  sql: `SELECT agency_id AS agencyId, group_code AS groupCode, dimension, SUM(score) AS sum, COUNT(*) AS n
       FROM response_scores WHERE survey_id = ? GROUP BY agency_id, group_code, dimension`,
  parameters: [surveyId],
});
const excludedSumsQuery = (surveyId: number): Query => ({
  sql: `SELECT s.agency_id AS agencyId, s.group_code AS groupCode, s.dimension, SUM(s.score) AS sum, COUNT(*) AS n
       FROM responses r JOIN response_scores s ON s.response_id = r.id
      WHERE r.survey_id = ? AND ${EXCLUDED}
      GROUP BY s.agency_id, s.group_code, s.dimension`,
  parameters: [surveyId],
});
function dimensionSumsFrom(totals: DimensionSumRow[], excluded: DimensionSumRow[]): DimensionSumsByGroup {
  const byKey = new Map(totals.map((row) => [`${row.agencyId}|${row.groupCode}|${row.dimension}`, row]));
  for (const row of excluded) {
    const total = byKey.get(`${row.agencyId}|${row.groupCode}|${row.dimension}`)!;
    total.sum -= row.sum;
    total.n -= row.n;
  }
  return groupDimensionSums(
    totals.filter((row) => row.n > 0),
    (row) => row.agencyId,
  );
}

/** What the results document is computed from. The queries are read in one transaction (one state
 * of the database): on the reader thread in the server (a national round takes about half a
 * second), on the connection in the CLI. */
export interface ResultsInputs {
  agencies: ResultAgency[];
  versions: Map<number, SurveyDefinition>;
  sums: DimensionSumsByGroup;
  counts: { agencyId: number; groupCode: string; responses: number; excluded: number }[];
  corrections: Map<number, { points: number; reason: string }[]>;
}

export function resultsInputQueries(surveyId: number): Query[] {
  return [agenciesQuery(surveyId), versionsQuery(surveyId), totalsQuery(surveyId), excludedSumsQuery(surveyId), countsQuery(surveyId), correctionsQuery(surveyId)];
}

/** The rows of `resultsInputQueries`, in their order, shaped. */
export function resultsInputsFrom(rows: unknown[][]): ResultsInputs {
  const [agencies, versions, totals, excluded, counts, corrections] = rows;
  return {
    agencies: agencies as ResultAgency[],
    versions: versionsFrom(versions as { version: number; json: string }[]),
    sums: dimensionSumsFrom(totals as DimensionSumRow[], excluded as DimensionSumRow[]),
    counts: counts as ResultsInputs['counts'],
    corrections: correctionsFrom(corrections as { agencyId: number; points: number; reason: string }[]),
  };
}

/** An agency's breakdown by unit, from the stored s(r, d) like the document itself: eligible and
 * excluded counts per unit and group, and the sums over eligible responses per unit, group and
 * dimension. (It re-scored every answer of the agency on the server thread for every view: about a
 * second for a ministry of 20,000 responses.) Read in one transaction; units go where the
 * accumulator expects agencies. */
export function unitInputQueries(surveyId: number, agencyId: number): Query[] {
  return [
    {
      sql: `SELECT r.unit_id AS unitId, r.group_code AS groupCode, SUM(NOT ${EXCLUDED}) AS responses, SUM(${EXCLUDED}) AS excluded
              FROM responses r WHERE r.survey_id = ? AND r.agency_id = ? AND r.unit_id IS NOT NULL
             GROUP BY r.unit_id, r.group_code`,
      parameters: [surveyId, agencyId],
    },
    {
      sql: `SELECT r.unit_id AS unitId, s.group_code AS groupCode, s.dimension, SUM(s.score) AS sum, COUNT(*) AS n
              FROM responses r JOIN response_scores s ON s.response_id = r.id
             WHERE r.survey_id = ? AND r.agency_id = ? AND r.unit_id IS NOT NULL AND NOT ${EXCLUDED}
             GROUP BY r.unit_id, s.group_code, s.dimension`,
      parameters: [surveyId, agencyId],
    },
  ];
}

export interface UnitInputs {
  counts: { unitId: number; groupCode: string; responses: number; excluded: number }[];
  sums: DimensionSumsByGroup;
}

/** The rows of `unitInputQueries`, shaped. */
export function unitInputsFrom([counts, sums]: unknown[][]): UnitInputs {
  return {
    counts: counts as UnitInputs['counts'],
    sums: groupDimensionSums(sums as (DimensionSum & { unitId: number; groupCode: string })[], (row) => row.unitId),
  };
}

export function countUnscoredResponses(db: Db, surveyId: number): number {
  return statement(db, 'SELECT COUNT(*) FROM responses WHERE survey_id = ? AND scored = 0').pluck().get(surveyId) as number;
}

export function markScored(db: Db, responseId: string): void {
  statement(db, 'UPDATE responses SET scored = 1 WHERE id = ?').run(responseId);
}

export interface FlaggedResponse {
  id: string;
  agency: string;
  group: string;
  submittedOn: string;
  durationSeconds: number | null;
  source: string;
  speeder: number;
  straightliner: number;
  manual: number;
  cleared: number;
  reason: string | null;
}

/** Which responses the review lists: the terms of the partial index `responses_flagged` (migration
 * 008). The queries below name that index (INDEXED BY): SQLite reads a partial index only for a
 * WHERE that implies the index's, and should the two ever differ, the queries fail outright (and
 * the tests with them) instead of quietly reading every response of the survey again. */
const FLAGGED_RESPONSE = '(r.flag_speeder = 1 OR r.flag_straightliner = 1 OR r.flag_manual = 1)';

export function countFlagged(db: Db, surveyId: number, agencyCode?: string): number {
  return statement(
    db,
    `SELECT COUNT(*) FROM responses r INDEXED BY responses_flagged JOIN agencies a ON a.id = r.agency_id
      WHERE r.survey_id = ? AND ${FLAGGED_RESPONSE} AND (? IS NULL OR a.code = ?)`,
  )
    .pluck()
    .get(surveyId, agencyCode ?? null, agencyCode ?? null) as number;
}

export function listFlagged(db: Db, surveyId: number, agencyCode?: string, page?: { limit: number; offset: number }): FlaggedResponse[] {
  return statement(
    db,
    `SELECT r.id, a.code AS agency, r.group_code AS "group", r.submitted_on AS submittedOn, r.duration_seconds AS durationSeconds, r.source,
            r.flag_speeder AS speeder, r.flag_straightliner AS straightliner, r.flag_manual AS manual, r.flags_cleared AS cleared,
            COALESCE(r.manual_reason, r.cleared_reason) AS reason
       FROM responses r INDEXED BY responses_flagged JOIN agencies a ON a.id = r.agency_id
      WHERE r.survey_id = ? AND ${FLAGGED_RESPONSE}
        AND (? IS NULL OR a.code = ?)
      ORDER BY a.code, r.group_code, r.id
      LIMIT ? OFFSET ?`,
  ).all(surveyId, agencyCode ?? null, agencyCode ?? null, page?.limit ?? -1, page?.offset ?? 0) as FlaggedResponse[];
}
