import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkSurveyDefinition, type SurveyDefinition } from '../../server/surveys/schema.js';
import { questionnaireItems } from '../../server/answering/rules.js';
import { testSurvey } from '../fixtures/survey.js';

type Mutable = Record<string, any>; // tests poke at arbitrary places of the document

function problemsOf(mutate: (survey: Mutable) => void): string[] {
  const survey = testSurvey() as unknown as Mutable;
  mutate(survey);
  const check = checkSurveyDefinition(survey);
  if (check.ok) return [];
  return check.problems.map((problem) => `${problem.path}: ${problem.message}`);
}

const firstItem = 'questionnaires.internal.pages[0].items[0]';

describe('survey definition schema', () => {
  it('accepts the test fixture and the demo survey', () => {
    expect(checkSurveyDefinition(testSurvey()).ok).toBe(true);
    const demo = JSON.parse(readFileSync('seeds/demo-survey.json', 'utf8'));
    const check = checkSurveyDefinition(demo);
    expect(check.ok ? [] : check.problems).toEqual([]);
  });

  it('the demo survey is as rich as a real round: items per group, weights, categories, gates', () => {
    const demo = JSON.parse(readFileSync('seeds/demo-survey.json', 'utf8')) as SurveyDefinition;
    const count = (group: string) => questionnaireItems(demo.questionnaires[group]!).length;
    expect(count('internal')).toBeGreaterThanOrEqual(25);
    expect(count('external')).toBeGreaterThanOrEqual(15);
    expect(count('expert')).toBeGreaterThanOrEqual(12);
    expect(Object.fromEntries(Object.entries(demo.groups).map(([code, group]) => [code, group.weight]))).toEqual({ internal: 0.3, external: 0.33, expert: 0.37 });
    expect(demo.categories.map((category) => [category.code, category.min])).toEqual([['terjaga', 78], ['waspada', 73], ['rentan', 0]]);
    for (const questionnaire of Object.values(demo.questionnaires)) {
      const items = questionnaireItems(questionnaire);
      expect(items.some((item) => item.showIf)).toBe(true);
      expect(items.some((item) => item.options?.some((option) => option.score === null && typeof option.label === 'object' && option.label.id === 'Tidak tahu'))).toBe(true);
    }
    const dimensions = new Set(questionnaireItems(demo.questionnaires.internal!).map((item) => item.dimension).filter(Boolean));
    expect([...dimensions].sort()).toEqual(['budget_management', 'hr_management', 'procurement', 'socialization', 'task_integrity', 'trading_influence', 'transparency']);
  });

  it('group weights must sum to 1 and minResponses be a whole number >= 1', () => {
    expect(problemsOf((s) => (s.groups.internal.weight = 0.5))).toEqual(['groups: group weights must sum to 1 (they sum to 0.9)']);
    expect(problemsOf((s) => (s.groups.internal.minResponses = 1.5))).toEqual(['groups.internal.minResponses: must be a whole number']);
    expect(problemsOf((s) => (s.groups.internal.minResponses = 0))).toEqual(['groups.internal.minResponses: must be at least 1']);
    expect(problemsOf((s) => (s.groups.external.weight = -0.1))).toContain('groups.external.weight: must be 0 or more');
  });

  it('an item names an existing dimension; item codes are unique across the survey', () => {
    expect(problemsOf((s) => (s.questionnaires.internal.pages[0].items[0].dimension = 'nope'))).toEqual([`${firstItem}.dimension: dimension "nope" is not defined in "dimensions"`]);
    expect(problemsOf((s) => (s.questionnaires.external.pages[0].items[1].code = 'I_TR_1'))).toEqual([
      'questionnaires.external.pages[0].items[1].code: item code "I_TR_1" is used twice in this survey',
    ]);
  });

  it('option values unique, scores within [0, 100] or null, 2 to 12 options', () => {
    expect(problemsOf((s) => (s.questionnaires.internal.pages[0].items[0].options[1].value = '1'))).toEqual([`${firstItem}.options[1].value: option value "1" is used twice in this item`]);
    expect(problemsOf((s) => (s.questionnaires.internal.pages[0].items[0].options[0].score = 101))).toEqual([`${firstItem}.options[0].score: must be between 0 and 100`]);
    expect(problemsOf((s) => (s.questionnaires.internal.pages[0].items[0].options = s.questionnaires.internal.pages[0].items[0].options.slice(0, 1)))).toEqual([
      `${firstItem}.options: must have between 2 and 12 options`,
    ]);
    expect(
      problemsOf((s) => {
        const base = s.questionnaires.internal.pages[0].items[0].options[0];
        s.questionnaires.internal.pages[0].items[0].options = Array.from({ length: 13 }, (_, index) => ({ ...base, value: `v${index}` }));
      }),
    ).toEqual([`${firstItem}.options: must have between 2 and 12 options`]);
  });

  it('a scored single item needs a numeric score; multi, text and number items are never scored', () => {
    expect(problemsOf((s) => s.questionnaires.internal.pages[0].items[0].options.forEach((option: Mutable) => (option.score = null)))).toEqual([
      `${firstItem}.options: a scored item needs at least one option with a numeric score`,
    ]);
    expect(problemsOf((s) => (s.questionnaires.internal.pages[1].items[1].dimension = 'transparency'))).toEqual([
      'questionnaires.internal.pages[1].items[1].dimension: "multi" items are never scored: remove the dimension',
    ]);
    expect(problemsOf((s) => (s.questionnaires.internal.pages[2].items[0].dimension = 'transparency'))).toEqual([
      'questionnaires.internal.pages[2].items[0].dimension: "number" items are never scored: remove the dimension',
    ]);
  });

  it('showIf names an earlier single or multi item of the same questionnaire and its option values', () => {
    expect(problemsOf((s) => (s.questionnaires.internal.pages[0].items[3].showIf.item = 'I_PBJ_1'))).toEqual([
      'questionnaires.internal.pages[0].items[3].showIf.item: "I_PBJ_1" must be an item that stands earlier in the same questionnaire',
    ]);
    expect(problemsOf((s) => (s.questionnaires.external.pages[0].items[1].showIf = { item: 'I_GATE', in: ['yes'] }))).toEqual([
      'questionnaires.external.pages[0].items[1].showIf.item: "I_GATE" must be an item that stands earlier in the same questionnaire',
    ]);
    expect(problemsOf((s) => (s.questionnaires.internal.pages[2].items[1].showIf = { item: 'I_YEARS', in: ['1'] }))).toEqual([
      'questionnaires.internal.pages[2].items[1].showIf.item: "I_YEARS" must be a "single" or "multi" item',
    ]);
    expect(problemsOf((s) => (s.questionnaires.internal.pages[1].items[0].showIf.in = ['yes', 'maybe']))).toEqual([
      'questionnaires.internal.pages[1].items[0].showIf.in[1]: "maybe" is not an option value of "I_GATE"',
    ]);
  });

  it('min/max only on number items, maxLength only on text items', () => {
    expect(problemsOf((s) => (s.questionnaires.internal.pages[0].items[0].min = 1))).toEqual([`${firstItem}.min: only "number" items can have min and max`]);
    expect(problemsOf((s) => (s.questionnaires.internal.pages[0].items[0].maxLength = 10))).toEqual([`${firstItem}.maxLength: only "text" items can have maxLength`]);
    expect(problemsOf((s) => (s.questionnaires.internal.pages[2].items[0].min = 50))).toEqual(['questionnaires.internal.pages[2].items[0].max: must not be below min']);
  });

  it('categories sorted by min descending, strictly decreasing, the last at 0', () => {
    expect(problemsOf((s) => (s.categories[1].min = 80))).toContain('categories[1].min: categories must be sorted by min, highest first, with strictly decreasing mins');
    expect(problemsOf((s) => (s.categories[2].min = 10))).toEqual(['categories[2].min: the last category must have min 0']);
  });

  it('localized texts need Bahasa Indonesia; codes follow their patterns; one questionnaire per group', () => {
    expect(problemsOf((s) => (s.title = { en: 'Only English' }))).toEqual(['title: the Bahasa Indonesia text ("id") is required']);
    expect(problemsOf((s) => (s.code = 'bad code!'))).toEqual(['code: must match [A-Za-z0-9_-]{2,40}']);
    expect(problemsOf((s) => delete s.questionnaires.external)).toEqual(['questionnaires: group "external" has no questionnaire']);
    expect(problemsOf((s) => (s.closes = '2026-02-30'))).toEqual(['closes: is not a real calendar date']);
    expect(problemsOf((s) => (s.questionnaires.internal.pages[0].items[0].requierd = true))).toEqual([`${firstItem}: Unrecognized key: "requierd"`]);
  });

  it('a survey\'s own message texts use known placeholders and carry the link; a reminder schedule increases', () => {
    expect(problemsOf((s) => (s.messages = { invitation: { subject: 'Survei {survey}', body: { id: 'Isi di {link} sebelum {closes}', en: 'Answer at {url}' } } }))).toEqual([
      'messages.invitation.body.en: unknown placeholder {url} (known: {name}, {agency}, {survey}, {link}, {closes}, {optOutLink})',
      'messages.invitation.body.en: must contain {link}, the personal link',
    ]);
    expect(problemsOf((s) => (s.reminderSchedule = { afterDays: [5, 3] }))).toEqual(['reminderSchedule.afterDays: must be increasing']);
    expect(problemsOf((s) => (s.reminderSchedule = { afterDays: [3, 7] }))).toEqual([]);
  });

  it('lists every problem of a document, not only the first', () => {
    const problems = problemsOf((s) => {
      s.questionnaires.internal.pages[0].items[0].dimension = 'nope';
      s.questionnaires.internal.pages[0].items[1].options[0].value = '2';
      s.groups.internal.weight = 0.7;
    });
    expect(problems).toHaveLength(3);
  });
});
