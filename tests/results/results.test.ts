import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { importResponses } from '../../server/answering/paperEntry.js';
import { formatProblem, formatReport } from '../../server/platform/tabular.js';
import { addCorrection, cachedResults, computeResults, DEFAULT_RESULTS_REUSE, listFlaggedResponses, resultsCsvRows, reviewResponse, type ResultsReuse } from '../../server/results/service.js';
import { appendAudit } from '../../server/staff/store.js';
import type { Reader } from '../../server/platform/readerThread.js';
import { openDatabase } from '../../server/platform/db.js';
import { ScoreAccumulator } from '../../server/scoring/index.js';
import { dimensionSumsOf, iterateScoredResponses, listSurveyVersions, unitInputQueries, unitInputsFrom } from '../../server/results/store.js';
import type { SurveyDefinition } from '../../server/surveys/schema.js';
import { createLogger } from '../../server/platform/logger.js';
import { snapshotOn, startReaderThread } from '../../server/platform/readerThread.js';
import { createWorld, type World } from '../helpers.js';

let world: World;
beforeEach(async () => {
  world = await createWorld();
});
afterEach(() => world.cleanup());

const PAPER = [
  'agency_code;group;unit;entry_id;duration_seconds;I_TR_1;I_TR_2;I_GATE;I_PBJ_SAME;I_PBJ_1;I_CHANNELS;I_YEARS;I_NOTE;E_TR_1;E_NOTE',
  'PROV-A;internal;Dinas Satu;P-1;30;4;4;yes;4;4;wbs|lapor;10;;;',
  'PROV-A;external;;P-2;120;;;;;;;;;4;Pelayanan cepat',
  'PROV-A;external;;P-3;;;;;;;;;;3;',
].join('\n');

async function webSubmit(name: string, answers: Record<string, unknown>): Promise<void> {
  const token = world.tokens.get(name)!;
  await request(world.app).get(`/api/v1/respond/${token}`).expect(200);
  world.clock.advance(5 * 60 * 1000);
  await request(world.app).post(`/api/v1/respond/${token}/submit`).send({ answers }).expect(201);
}

describe('results from web and paper responses, against a hand-computed fixture', () => {
  it('computes every figure of the results document exactly', async () => {
    await webSubmit('Ani', { I_TR_1: '3', I_TR_2: '4', I_GATE: 'yes', I_PBJ_SAME: '2', I_PBJ_1: '1', I_YEARS: 7 });
    await webSubmit('Budi', { I_TR_1: '2', I_TR_2: 'dk', I_GATE: 'no', I_YEARS: 3 });
    const report = await importResponses(world.db, world.clock, 'Asia/Jakarta', 'SPI-TEST', Buffer.from(PAPER));
    expect(report).toMatchObject({ rows: 3, stored: 3, rejected: 0, errors: [] });
    addCorrection(world.db, world.clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A', points: 5, reason: 'Kasus suap pengadaan diputus pengadilan' });

    const results = computeResults(world.db, world.clock, 'SPI-TEST');
    expect(results.survey).toBe('SPI-TEST');
    expect(results.computedAt).toBe('2026-08-01T03:10:00.000Z');
    const [kota, prov] = results.agencies;
    // KOTA-B is on a respondent list but has no response
    expect(kota).toMatchObject({ code: 'KOTA-B', name: 'Kota B', status: 'insufficient', index: null, indexRaw: null, category: null, corrections: [] });
    expect(kota!.groups.internal).toEqual({ responses: 0, excluded: 0, sufficient: false, component: null, dimensions: {} });

    // PROV-A internal: Ani TR = (66.6667 + 100) / 2, PBJ = (33.3333 + 0) / 2; Budi TR = 33.3333 ("don't know" left out),
    // PBJ undefined (gate "no"); paper P-1 is a speeder (30 s < 60) and a straight-liner: excluded.
    expect(prov).toMatchObject({ code: 'PROV-A', status: 'ok', category: 'rentan' });
    expect(prov!.groups.internal!.responses).toBe(2);
    expect(prov!.groups.internal!.excluded).toBe(1);
    expect(prov!.groups.internal!.sufficient).toBe(true);
    expect(prov!.groups.internal!.dimensions.transparency!.score).toBeCloseTo(58.333325, 6);
    expect(prov!.groups.internal!.dimensions.transparency!.n).toBe(2);
    expect(prov!.groups.internal!.dimensions.procurement!.score).toBeCloseTo(16.66665, 6);
    expect(prov!.groups.internal!.dimensions.procurement!.n).toBe(1);
    expect(prov!.groups.internal!.component).toBeCloseTo(37.4999875, 6);
    // external: paper P-2 (100) and P-3 (66.6667)
    expect(prov!.groups.external).toMatchObject({ responses: 2, excluded: 0, sufficient: true });
    expect(prov!.groups.external!.component).toBeCloseTo(83.33335, 6);
    expect(prov!.indexRaw).toBeCloseTo(55.8333325, 6);
    expect(prov!.index).toBeCloseTo(50.8333325, 6);
    expect(prov!.corrections).toEqual([{ points: 5, reason: 'Kasus suap pengadaan diputus pengadilan' }]);
    expect(results.overall).toEqual({ mean: prov!.index, agencies: 1, categories: { terjaga: 0, waspada: 0, rentan: 1 } });
    // the stored dimension scores are what the document is summed from; responses stored without
    // them (before migration 005) are scored once, from their answers, to the same figures
    expect(world.db.prepare('SELECT COUNT(*) FROM response_scores').pluck().get()).toBe(7); // Ani 2, Budi 1, P-1 2, P-2 1, P-3 1
    world.db.prepare('DELETE FROM response_scores').run();
    world.db.prepare('UPDATE responses SET scored = 0').run();
    expect(computeResults(world.db, world.clock, 'SPI-TEST')).toEqual(results);
    expect(world.db.prepare('SELECT COUNT(*) FROM responses WHERE scored = 0').pluck().get()).toBe(0);

    // An administrator clears the paper response's flags: it counts again.
    const flagged = listFlaggedResponses(world.db, 'SPI-TEST');
    expect(flagged).toHaveLength(1);
    expect(flagged[0]).toMatchObject({ agency: 'PROV-A', group: 'internal', source: 'import', speeder: 1, straightliner: 1, durationSeconds: 30 });
    reviewResponse(world.db, { surveyCode: 'SPI-TEST', responseId: flagged[0]!.id, action: 'clear-flags', reason: 'Formulir kertas: durasi tidak tercatat dengan benar' });
    const recomputed = computeResults(world.db, world.clock, 'SPI-TEST').agencies[1]!;
    expect(recomputed.groups.internal).toMatchObject({ responses: 3, excluded: 0 });
    expect(recomputed.groups.internal!.dimensions.transparency!.score).toBeCloseTo(72.22221666666667, 6);
    expect(recomputed.groups.internal!.component).toBeCloseTo(65.27777083333334, 6);
    expect(recomputed.indexRaw).toBeCloseTo(72.5000025, 6);
    expect(recomputed.index).toBeCloseTo(67.5000025, 6);

    // and a manual exclusion takes it out again, whatever was cleared
    reviewResponse(world.db, { surveyCode: 'SPI-TEST', responseId: flagged[0]!.id, action: 'exclude', reason: 'Jawaban diarahkan atasan' });
    expect(computeResults(world.db, world.clock, 'SPI-TEST').agencies[1]!.indexRaw).toBeCloseTo(55.8333325, 6);

    const csv = resultsCsvRows(computeResults(world.db, world.clock, 'SPI-TEST'), ['internal', 'external']);
    expect(csv[0]).toEqual(['code', 'name', 'status', 'index', 'index_raw', 'category', 'internal_responses', 'internal_component', 'external_responses', 'external_component']);
    expect(csv[1]).toEqual(['KOTA-B', 'Kota B', 'insufficient', null, null, null, 0, null, 0, null]);
    expect(csv[2]!.slice(0, 3)).toEqual(['PROV-A', 'Provinsi A', 'ok']);
  });
});

/** Every number rounded to 9 decimals, for comparing sums taken in different orders. */
const rounded = (value: unknown): unknown =>
  typeof value === 'number' ? Math.round(value * 1e9) / 1e9 : Array.isArray(value) ? value.map(rounded) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, rounded(inner)])) : value;

describe('the breakdown by unit', () => {
  it('from the stored dimension scores equals re-scoring every answer of the agency', async () => {
    // web responses (Ani: Dinas Satu, Budi: Dinas Dua) and paper forms in both units and groups,
    // some excluded as speeders, one of those cleared by hand
    await webSubmit('Ani', { I_TR_1: '3', I_TR_2: '4', I_GATE: 'yes', I_PBJ_SAME: '2', I_PBJ_1: '1', I_YEARS: 7 });
    await webSubmit('Budi', { I_TR_1: '2', I_TR_2: 'dk', I_GATE: 'no', I_YEARS: 3 });
    const header = 'agency_code;group;unit;entry_id;duration_seconds;I_TR_1;I_TR_2;I_GATE;I_PBJ_SAME;I_PBJ_1;I_CHANNELS;I_YEARS;I_NOTE;E_TR_1;E_NOTE';
    const rows = Array.from({ length: 24 }, (_, index) => {
      const unit = index % 3 === 0 ? 'Dinas Satu' : index % 3 === 1 ? 'Dinas Dua' : '';
      const duration = index % 5 === 0 ? 20 : 600;
      return index % 2 === 0
        ? `PROV-A;internal;${unit};U-${index};${duration};${1 + (index % 4)};${1 + ((index * 3) % 4)};${index % 4 === 0 ? 'no' : 'yes'};${index % 4 === 0 ? '' : 1 + (index % 3)};${index % 4 === 0 ? '' : 1 + ((index + 1) % 4)};wbs;${index};;;`
        : `PROV-A;external;${unit};U-${index};${duration};;;;;;;;;${1 + (index % 4)};`;
    });
    const report = await importResponses(world.db, world.clock, 'Asia/Jakarta', 'SPI-TEST', Buffer.from([header, ...rows].join('\n')));
    expect(report).toMatchObject({ stored: 24, rejected: 0 });
    const speeder = world.db.prepare(`SELECT id FROM responses WHERE flag_speeder = 1 AND unit_id IS NOT NULL LIMIT 1`).pluck().get() as string;
    reviewResponse(world.db, { surveyCode: 'SPI-TEST', responseId: speeder, action: 'clear-flags', reason: 'durasi salah catat' });

    const survey = world.db.prepare(`SELECT id, definition_json AS json FROM surveys WHERE code = 'SPI-TEST'`).get() as { id: number; json: string };
    const agencyId = world.db.prepare(`SELECT id FROM agencies WHERE code = 'PROV-A'`).pluck().get() as number;
    const definition = JSON.parse(survey.json) as SurveyDefinition;
    const versions = listSurveyVersions(world.db, survey.id);
    const fromAnswers = new ScoreAccumulator(definition, versions);
    for (const scored of iterateScoredResponses(world.db, survey.id, agencyId)) if (scored.unitId !== null) fromAnswers.add({ ...scored, agencyId: scored.unitId });
    const fromSums = new ScoreAccumulator(definition, versions);
    const inputs = unitInputsFrom(snapshotOn(world.db, unitInputQueries(survey.id, agencyId)));
    for (const counts of inputs.counts) fromSums.addAggregate(counts.unitId, counts.groupCode, counts, dimensionSumsOf(inputs.sums, counts.unitId, counts.groupCode));
    const units = world.db.prepare(`SELECT id FROM agency_units WHERE agency_id = ?`).pluck().all(agencyId) as number[];
    expect(units).toHaveLength(2);
    for (const unit of units) {
      const expected = fromAnswers.agencyResult(unit);
      expect(expected.groups.internal!.responses + expected.groups.internal!.excluded).toBeGreaterThan(2);
      // the same figures; sums taken in another order may differ in the last binary digit
      expect(rounded(fromSums.agencyResult(unit))).toEqual(rounded(expected));
    }
  });
});

describe('the cached results document of the staff pages', () => {
  it('is reused while nothing changed, and recomputed after any write, by this connection or another', async () => {
    // as the server runs it: read on the reader thread
    const reader = startReaderThread(world.db, createLogger('silent'));
    onTestFinished(() => reader.stop());
    // every computation measured as instant: a small survey's document is never reused after a write
    const cached = () => cachedResults(world.db, world.clock, 'SPI-TEST', reader, { ...DEFAULT_RESULTS_REUSE, elapsedMs: () => 0 });
    await importResponses(world.db, world.clock, 'Asia/Jakarta', 'SPI-TEST', Buffer.from(PAPER + '\n'));
    const first = await cached();
    world.clock.advance(60_000);
    expect(await cached()).toBe(first);
    expect(first).toEqual({ ...computeResults(world.db, world.clock, 'SPI-TEST'), computedAt: first.computedAt });

    // a write on this connection (a web submission) is seen at once
    await webSubmit('Budi', { I_TR_1: '1', I_TR_2: '1', I_GATE: 'no', I_YEARS: 3 });
    const afterSubmit = await cached();
    expect(afterSubmit).not.toBe(first);
    const internalOf = (document: typeof first) => document.agencies.find((agency) => agency.code === 'PROV-A')!.groups.internal!.responses;
    expect(internalOf(afterSubmit)).toBe(internalOf(first) + 1);
    expect(afterSubmit).toEqual({ ...computeResults(world.db, world.clock, 'SPI-TEST'), computedAt: afterSubmit.computedAt });

    // a write by another connection (the CLI, another process) too
    const other = openDatabase(world.db.name);
    addCorrection(other, world.clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A', points: 2, reason: 'kasus di pengadilan' });
    other.close();
    const afterCorrection = await cached();
    expect(afterCorrection).not.toBe(afterSubmit);
    expect(afterCorrection.agencies.find((agency) => agency.code === 'PROV-A')!.corrections).toHaveLength(1);
    expect(await cached()).toBe(afterCorrection);
    // the reader thread's document is the one computed on the connection
    expect(afterCorrection).toEqual({ ...computeResults(world.db, world.clock, 'SPI-TEST'), computedAt: afterCorrection.computedAt });
  });
});

describe('a slow results document (national size)', () => {
  it('is shared for a while after writes it does not need, but never hides a staff change to the results', async () => {
    const thread = startReaderThread(world.db, createLogger('silent'));
    onTestFinished(() => thread.stop());
    let computations = 0;
    const reader: Reader = { ...thread, snapshot: (queries) => (computations++, thread.snapshot(queries)) };
    // every computation measured as taking 500 ms: slow; shared for 10 minutes (15 s in the server)
    let elapsed = 0;
    const slow: ResultsReuse = { reuseForMs: 10 * 60_000, slowMs: 200, elapsedMs: () => (elapsed += 250) };
    const cached = () => cachedResults(world.db, world.clock, 'SPI-TEST', reader, slow);
    const corrections = (document: Awaited<ReturnType<typeof cached>>) => document.agencies.find((agency) => agency.code === 'PROV-A')!.corrections.length;
    await webSubmit('Ani', { I_TR_1: '3', I_TR_2: '4', I_GATE: 'yes', I_PBJ_SAME: '2', I_PBJ_1: '1', I_YEARS: 7 });
    const first = await cached();
    expect(computations).toBe(1);

    // a sign-in and a respondent's submission (five minutes later) write, but the document is shared
    appendAudit(world.db, { at: world.clock.now().toISOString(), actor: 'inspector@example.id', action: 'staff.sign_in' });
    await webSubmit('Budi', { I_TR_1: '2', I_TR_2: 'dk', I_GATE: 'no', I_YEARS: 3 });
    expect(await cached()).toBe(first);
    expect(computations).toBe(1);
    // ten minutes after it was computed, the next request computes it afresh, with the submission
    world.clock.advance(5 * 60_000);
    const later = await cached();
    expect(later).not.toBe(first);
    expect(computations).toBe(2);
    const internalOf = (document: typeof first) => document.agencies.find((agency) => agency.code === 'PROV-A')!.groups.internal!.responses;
    expect(internalOf(later)).toBe(internalOf(first) + 1);

    // a correction made through this server shows at once
    addCorrection(world.db, world.clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A', points: 2, reason: 'kasus di pengadilan' });
    const corrected = await cached();
    expect(computations).toBe(3);
    expect(corrections(corrected)).toBe(1);

    // requests arriving while it is computed wait for that one computation
    world.clock.advance(11 * 60_000);
    appendAudit(world.db, { at: world.clock.now().toISOString(), actor: 'inspector@example.id', action: 'results.export' });
    const together = await Promise.all([cached(), cached(), cached()]);
    expect(computations).toBe(4);
    expect(together[1]).toBe(together[0]);
    expect(together[2]).toBe(together[0]);
    expect(together[0]).not.toBe(corrected);

    // but not a request made after a staff change: it gets its own, which shows the change
    world.clock.advance(11 * 60_000);
    appendAudit(world.db, { at: world.clock.now().toISOString(), actor: 'inspector@example.id', action: 'results.export' });
    const before = cached();
    addCorrection(world.db, world.clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A', points: 1, reason: 'kasus kedua' });
    const after = cached();
    expect(corrections(await after)).toBe(2);
    expect(await before).not.toBe(await after);
    expect(computations).toBe(6);
    expect(await cached()).toBe(await after);
  });
});

describe('paper entry import', () => {
  it('checks each row like a web answer and reports exact lines; entry_id makes a re-import change nothing', async () => {
    const file = [
      'agency_code,group,unit,entry_id,duration_seconds,I_TR_1,I_TR_2,I_GATE,I_PBJ_SAME,I_PBJ_1,I_YEARS,E_TR_1',
      'PROV-A,internal,,K-1,200,3,3,no,,,5,', // fine
      'PROV-A,internal,,K-2,200,3,3,no,2,,5,', // answers an item the gate skips
      'PROV-A,internal,,K-3,200,9,3,no,,,,', // not an option; I_YEARS missing
      'PROV-A,internal,,K-4,abc,3,3,no,,,5,4', // duration not a number; an external item
      'NOPE,internal,Dinas Lima,K-5,,3,3,no,,,5,',
      'PROV-A,internal,,K-1,200,1,1,no,,,1,', // same entry as line 2
      'PROV-A,external,,,,,,,,,,2', // fine, no entry_id
    ].join('\n');
    const report = await importResponses(world.db, world.clock, 'Asia/Jakarta', 'SPI-TEST', Buffer.from(file));
    expect(report.errors.map(formatProblem)).toEqual([
      'line 3, column I_PBJ_SAME: is answered, but the questionnaire skips it (I_GATE is not yes)',
      'line 4, column I_TR_1: “9” is not an option of this question.',
      'line 4, column I_YEARS: This question must be answered.',
      'line 5, column duration_seconds: must be a whole number of seconds',
      'line 5, column E_TR_1: is not a question of the "internal" questionnaire: leave it empty',
      'line 6, column agency_code: no agency with code "NOPE" is registered',
      'line 7, column entry_id: "K-1" already appears on line 2',
    ]);
    expect(report).toMatchObject({ rows: 7, stored: 2, duplicates: 0, rejected: 5 });
    // the row without entry_id is stored, with a warning that a re-import would add it again
    expect(report.warnings).toEqual(['1 stored row(s) have no entry_id (line 8): importing this file again would add them again. Give every paper form an entry_id to make re-imports safe.']);
    expect(formatReport(report)).toContain('  warning: 1 stored row(s) have no entry_id (line 8)');
    const again = await importResponses(world.db, world.clock, 'Asia/Jakarta', 'SPI-TEST', Buffer.from(file.split('\n').slice(0, 2).join('\n')));
    expect(again).toMatchObject({ rows: 1, stored: 0, duplicates: 1, warnings: [] });
    expect(world.db.prepare(`SELECT source, entry_id AS entryId, submitted_on AS day FROM responses ORDER BY entry_id`).all()).toEqual([
      { source: 'import', entryId: null, day: '2026-08-01' },
      { source: 'import', entryId: 'K-1', day: '2026-08-01' },
    ]);
  });

  it('refuses a file without item columns, and a survey still in draft', async () => {
    await expect(importResponses(world.db, world.clock, 'Asia/Jakarta', 'SPI-TEST', Buffer.from('agency_code,group,foo\nPROV-A,internal,1\n'))).rejects.toThrow(/no column named after an item code/);
    world.cleanup();
    world = await createWorld({ open: false });
    await expect(importResponses(world.db, world.clock, 'Asia/Jakarta', 'SPI-TEST', Buffer.from(PAPER))).rejects.toThrow(/draft/);
  });
});

describe('corrections and reviews refuse bad input', () => {
  it('needs positive points, a reason, a known agency and response', () => {
    expect(() => addCorrection(world.db, world.clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A', points: 0, reason: 'x' })).toThrow(/above 0/);
    expect(() => addCorrection(world.db, world.clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A', points: 2, reason: '  ' })).toThrow(/reason/);
    expect(() => addCorrection(world.db, world.clock, { surveyCode: 'SPI-TEST', agencyCode: 'NOPE', points: 2, reason: 'x' })).toThrow(/No agency/);
    expect(() => reviewResponse(world.db, { surveyCode: 'SPI-TEST', responseId: 'nope', action: 'exclude', reason: 'x' })).toThrow(/No response/);
    expect(world.db.prepare('SELECT COUNT(*) FROM corrections').pluck().get()).toBe(0);
  });
});
