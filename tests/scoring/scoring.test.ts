import { describe, expect, it } from 'vitest';
import { categoryOf, isExcluded, overallResult, ScoreAccumulator, type ScoredResponse } from '../../server/scoring/index.js';
import { checkSurveyDefinition, type SurveyDefinition } from '../../server/surveys/schema.js';

const scale = [
  { value: '1', label: 'Buruk', score: 0 },
  { value: '2', label: 'Sedang', score: 50 },
  { value: '3', label: 'Baik', score: 100 },
  { value: 'dk', label: 'Tidak tahu', score: null },
];

/** Internal (weight 0.6, at least 2 responses), external (0.4, 1), expert (weight 0: reported, never required). */
function definition(): SurveyDefinition {
  const document = {
    code: 'SCORE',
    title: 'Uji skor',
    opens: '2026-01-01',
    closes: '2026-12-31',
    languages: ['id'],
    groups: {
      internal: { title: 'Pegawai', weight: 0.6, minResponses: 2 },
      external: { title: 'Pengguna', weight: 0.4, minResponses: 1 },
      expert: { title: 'Eksper', weight: 0, minResponses: 1 },
    },
    dimensions: [
      { code: 'A', title: 'A' },
      { code: 'B', title: 'B' },
    ],
    categories: [
      { code: 'terjaga', title: 'Terjaga', min: 78 },
      { code: 'waspada', title: 'Waspada', min: 73 },
      { code: 'rentan', title: 'Rentan', min: 0 },
    ],
    questionnaires: {
      internal: {
        intro: 'x',
        pages: [
          {
            code: 'p',
            title: 'p',
            items: [
              { code: 'I1', type: 'single', dimension: 'A', weight: 2, text: 'I1', options: scale },
              { code: 'I2', type: 'single', dimension: 'A', text: 'I2', options: scale },
              { code: 'I3', type: 'single', dimension: 'B', required: false, text: 'I3', options: scale },
              { code: 'G', type: 'single', text: 'gate', options: [{ value: 'yes', label: 'Ya' }, { value: 'no', label: 'Tidak' }] },
              { code: 'I4', type: 'single', dimension: 'B', text: 'I4', options: scale, showIf: { item: 'G', in: ['yes'] } },
              { code: 'T', type: 'text', text: 'catatan' },
            ],
          },
        ],
      },
      external: { intro: 'x', pages: [{ code: 'e', title: 'e', items: [
        { code: 'E1', type: 'single', dimension: 'A', text: 'E1', options: scale },
        { code: 'E2', type: 'single', dimension: 'B', text: 'E2', options: scale },
      ] }] },
      expert: { intro: 'x', pages: [{ code: 'x', title: 'x', items: [{ code: 'X1', type: 'single', dimension: 'A', text: 'X1', options: scale }] }] },
    },
  };
  const check = checkSurveyDefinition(document);
  if (!check.ok) throw new Error(JSON.stringify(check.problems));
  return check.definition;
}

const clean = { speeder: false, straightliner: false, manual: false, cleared: false };
const response = (agencyId: number, group: string, answers: ScoredResponse['answers'], flags: Partial<ScoredResponse['flags']> = {}): ScoredResponse => ({
  agencyId,
  group,
  version: 1,
  answers,
  flags: { ...clean, ...flags },
});

function accumulate(responses: ScoredResponse[]): ScoreAccumulator {
  const survey = definition();
  const accumulator = new ScoreAccumulator(survey, new Map([[1, survey]]));
  for (const item of responses) accumulator.add(item);
  return accumulator;
}

// Agency 1, by hand:
//  r1 internal: A = (2·100 + 1·50) / 3 = 83.3333…; B = (0 + 100) / 2 = 50 (gate open)
//  r2 internal: A = (I1 "don't know" left out) 0 / 1 = 0; B: I3 unanswered, I4 hidden (gate "no") → undefined
//  r3 internal: speeder → excluded
//  internal: D(A) = (83.3333 + 0) / 2 = 41.6667 (n 2), D(B) = 50 (n 1), C = 45.8333
//  r4 external: A = 100, B = 50 → C = 75
//  I_raw = 0.6 · 45.8333 + 0.4 · 75 = 27.5 + 30 = 57.5
const agencyOne = [
  response(1, 'internal', { I1: '3', I2: '2', I3: '1', G: 'yes', I4: '3', T: 'ok' }),
  response(1, 'internal', { I1: 'dk', I2: '1', G: 'no', I4: '3' }),
  response(1, 'internal', { I1: '3', I2: '3', I3: '3', G: 'no' }, { speeder: true }),
  response(1, 'external', { E1: '3', E2: '2' }),
];

describe('integrity index (scoring.md)', () => {
  it('weights items in a dimension, leaves out null scores, hidden and unanswered items, averages dimensions and groups', () => {
    const result = accumulate(agencyOne).agencyResult(1);
    expect(result.status).toBe('ok');
    const internal = result.groups.internal!;
    expect(internal.responses).toBe(2);
    expect(internal.excluded).toBe(1);
    expect(internal.sufficient).toBe(true);
    expect(internal.dimensions.A!.score).toBeCloseTo(125 / 3, 9);
    expect(internal.dimensions.A!.n).toBe(2);
    expect(internal.dimensions.B).toEqual({ score: 50, n: 1 });
    expect(internal.component).toBeCloseTo((125 / 3 + 50) / 2, 9);
    expect(result.groups.external).toMatchObject({ responses: 1, component: 75, dimensions: { A: { score: 100, n: 1 }, B: { score: 50, n: 1 } } });
    expect(result.indexRaw).toBeCloseTo(57.5, 9);
    expect(result.index).toBeCloseTo(57.5, 9);
    expect(result.category).toBe('rentan');
    // a group with weight 0 is reported but never required
    expect(result.groups.expert).toEqual({ responses: 0, excluded: 0, sufficient: false, component: null, dimensions: {} });
  });

  it('subtracts corrections and clamps to 0..100', () => {
    const accumulator = accumulate(agencyOne);
    const corrected = accumulator.agencyResult(1, [{ points: 2.5, reason: 'kasus suap di pengadilan' }]);
    expect(corrected.indexRaw).toBeCloseTo(57.5, 9);
    expect(corrected.index).toBeCloseTo(55, 9);
    expect(corrected.corrections).toEqual([{ points: 2.5, reason: 'kasus suap di pengadilan' }]);
    expect(accumulator.agencyResult(1, [{ points: 40, reason: 'a' }, { points: 20, reason: 'b' }]).index).toBe(0);
  });

  it('a group below minResponses makes the agency insufficient: no index, components still reported', () => {
    const accumulator = accumulate([response(2, 'internal', { I1: '3', I2: '3', G: 'no' }), response(2, 'external', { E1: '1', E2: '1' })]);
    const result = accumulator.agencyResult(2);
    expect(result).toMatchObject({ status: 'insufficient', index: null, indexRaw: null, category: null });
    expect(result.groups.internal).toMatchObject({ responses: 1, sufficient: false, component: 100 });
    expect(result.groups.external).toMatchObject({ responses: 1, sufficient: true, component: 0 });
  });

  it('a dimension no response scored is left out of the component (missing dimensions)', () => {
    const result = accumulate([
      response(3, 'internal', { I1: '2', I2: '2', G: 'no' }),
      response(3, 'internal', { I1: '1', I2: 'dk', G: 'no' }),
      response(3, 'external', { E1: '3' }),
    ]).agencyResult(3);
    // internal: A = (50, 0) → 25; B undefined → C = 25. external: A = 100 → C = 100.
    expect(result.groups.internal!.dimensions).toEqual({ A: { score: 25, n: 2 } });
    expect(result.groups.internal!.component).toBe(25);
    expect(result.groups.external!.component).toBe(100);
    expect(result.indexRaw).toBeCloseTo(0.6 * 25 + 0.4 * 100, 9);
  });

  it('exclusions: speeder and straight-liner flags exclude, a cleared flag counts again, a manual exclusion always excludes', () => {
    expect(isExcluded(clean)).toBe(false);
    expect(isExcluded({ ...clean, speeder: true })).toBe(true);
    expect(isExcluded({ ...clean, straightliner: true })).toBe(true);
    expect(isExcluded({ ...clean, speeder: true, cleared: true })).toBe(false);
    expect(isExcluded({ ...clean, manual: true })).toBe(true);
    expect(isExcluded({ ...clean, manual: true, cleared: true })).toBe(true);
    const result = accumulate([
      response(4, 'external', { E1: '3', E2: '3' }, { straightliner: true, cleared: true }),
      response(4, 'external', { E1: '1', E2: '1' }, { manual: true }),
    ]).agencyResult(4);
    expect(result.groups.external).toMatchObject({ responses: 1, excluded: 1, component: 100 });
  });

  it('categories: the first whose min the index reaches; exactly 78 is terjaga', () => {
    const survey = definition();
    expect(categoryOf(survey, 78)).toBe('terjaga');
    expect(categoryOf(survey, 77.999999)).toBe('waspada');
    expect(categoryOf(survey, 73)).toBe('waspada');
    expect(categoryOf(survey, 72.99)).toBe('rentan');
    expect(categoryOf(survey, 0)).toBe('rentan');
    expect(categoryOf(survey, 100)).toBe('terjaga');
  });

  it('overall: mean and category counts over agencies with an index only', () => {
    const survey = definition();
    expect(
      overallResult(survey, [
        { status: 'ok', index: 80, category: 'terjaga' },
        { status: 'ok', index: 60, category: 'rentan' },
        { status: 'insufficient', index: null, category: null },
      ]),
    ).toEqual({ mean: 70, agencies: 2, categories: { terjaga: 1, waspada: 0, rentan: 1 } });
    expect(overallResult(survey, [])).toEqual({ mean: null, agencies: 0, categories: { terjaga: 0, waspada: 0, rentan: 0 } });
  });

  it('an agency on a respondent list without any response appears as insufficient', () => {
    const accumulator = accumulate([]);
    accumulator.addAgency(9);
    expect(accumulator.agencyIds()).toEqual([9]);
    expect(accumulator.agencyResult(9)).toMatchObject({ status: 'insufficient', groups: { internal: { responses: 0, component: null } } });
  });
});
