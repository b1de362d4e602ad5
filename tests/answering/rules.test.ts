import { describe, expect, it } from 'vitest';
import {
  adjacentPage,
  applyAnswerPatch,
  findIncompleteItems,
  normalizeAnswer,
  visibleItemCodes,
  type Answers,
} from '../../server/answering/rules.js';
import { qualityFlags } from '../../server/scoring/quality.js';
import type { Item } from '../../server/surveys/schema.js';
import { testSurvey } from '../fixtures/survey.js';

const internal = testSurvey().questionnaires.internal!;
const item = (code: string): Item => internal.pages.flatMap((page) => page.items).find((candidate) => candidate.code === code)!;

describe('skip logic', () => {
  it('shows an item only when its gate is shown and answered with a listed value', () => {
    expect(visibleItemCodes(internal, {}).has('I_PBJ_SAME')).toBe(false);
    expect(visibleItemCodes(internal, { I_GATE: 'no' }).has('I_PBJ_SAME')).toBe(false);
    expect(visibleItemCodes(internal, { I_GATE: 'yes' }).has('I_PBJ_SAME')).toBe(true);
    expect(visibleItemCodes(internal, { I_GATE: 'yes' }).has('I_PBJ_1')).toBe(true);
  });

  it('hides a chain when its first gate closes (a hidden gate opens nothing)', () => {
    const survey = testSurvey();
    const page = survey.questionnaires.internal!.pages[1]!;
    page.items[1]!.showIf = { item: 'I_PBJ_1', in: ['1'] }; // I_CHANNELS depends on I_PBJ_1, which depends on I_GATE
    const questionnaire = survey.questionnaires.internal!;
    expect(visibleItemCodes(questionnaire, { I_GATE: 'yes', I_PBJ_1: '1' }).has('I_CHANNELS')).toBe(true);
    expect(visibleItemCodes(questionnaire, { I_GATE: 'no', I_PBJ_1: '1' }).has('I_CHANNELS')).toBe(false);
  });

  it('a multi gate opens its items when any chosen value is listed', () => {
    const survey = testSurvey();
    survey.questionnaires.internal!.pages[2]!.items[1]!.showIf = { item: 'I_CHANNELS', in: ['email'] };
    const questionnaire = survey.questionnaires.internal!;
    expect(visibleItemCodes(questionnaire, { I_CHANNELS: ['wbs', 'email'] }).has('I_NOTE')).toBe(true);
    expect(visibleItemCodes(questionnaire, { I_CHANNELS: ['wbs'] }).has('I_NOTE')).toBe(false);
  });

  it('passes over pages whose items are all hidden', () => {
    const survey = testSurvey();
    survey.questionnaires.internal!.pages[1]!.items = [survey.questionnaires.internal!.pages[1]!.items[0]!]; // page 2 = only the gated item
    const questionnaire = survey.questionnaires.internal!;
    expect(adjacentPage(questionnaire, { I_GATE: 'no' }, 1, 1)).toBe(3);
    expect(adjacentPage(questionnaire, { I_GATE: 'yes' }, 1, 1)).toBe(2);
    expect(adjacentPage(questionnaire, { I_GATE: 'no' }, 3, -1)).toBe(1);
    expect(adjacentPage(questionnaire, {}, 3, 1)).toBeNull();
  });
});

describe('answer values', () => {
  it('single: an option value (numbers accepted as their text)', () => {
    expect(normalizeAnswer(item('I_TR_1'), '3')).toEqual({ value: '3' });
    expect(normalizeAnswer(item('I_TR_1'), 3)).toEqual({ value: '3' });
    expect(normalizeAnswer(item('I_TR_1'), '9')).toEqual({ problem: { item: 'I_TR_1', code: 'not_an_option', params: { value: '9' } } });
    expect(normalizeAnswer(item('I_TR_1'), ['3'])).toEqual({ problem: { item: 'I_TR_1', code: 'wrong_type' } });
  });

  it('multi: option values, deduplicated, in the definition order; one value as from a form', () => {
    expect(normalizeAnswer(item('I_CHANNELS'), ['email', 'wbs', 'wbs'])).toEqual({ value: ['wbs', 'email'] });
    expect(normalizeAnswer(item('I_CHANNELS'), 'lapor')).toEqual({ value: ['lapor'] });
    expect(normalizeAnswer(item('I_CHANNELS'), [])).toEqual({ value: null });
    expect(normalizeAnswer(item('I_CHANNELS'), ['wbs', 'fax'])).toMatchObject({ problem: { code: 'not_an_option', params: { value: 'fax' } } });
  });

  it('number: numbers or numeric text (decimal comma too) within min and max', () => {
    expect(normalizeAnswer(item('I_YEARS'), '7')).toEqual({ value: 7 });
    expect(normalizeAnswer(item('I_YEARS'), '2,5')).toEqual({ value: 2.5 });
    expect(normalizeAnswer(item('I_YEARS'), 46)).toMatchObject({ problem: { code: 'above_max', params: { max: 45 } } });
    expect(normalizeAnswer(item('I_YEARS'), -1)).toMatchObject({ problem: { code: 'below_min', params: { min: 0 } } });
    expect(normalizeAnswer(item('I_YEARS'), 'tujuh')).toMatchObject({ problem: { code: 'not_a_number' } });
    expect(normalizeAnswer(item('I_YEARS'), Number.NaN)).toMatchObject({ problem: { code: 'not_a_number' } });
  });

  it('text: trimmed, empty means unanswered, longer than maxLength refused', () => {
    expect(normalizeAnswer(item('I_NOTE'), '  baik  ')).toEqual({ value: 'baik' });
    expect(normalizeAnswer(item('I_NOTE'), '   ')).toEqual({ value: null });
    expect(normalizeAnswer(item('I_NOTE'), 'x'.repeat(201))).toMatchObject({ problem: { code: 'too_long', params: { max: 200 } } });
    expect(normalizeAnswer(item('I_NOTE'), 12)).toMatchObject({ problem: { code: 'wrong_type' } });
  });
});

describe('drafts and completeness', () => {
  it('a patch merges, null clears, and one bad value rejects the whole patch', () => {
    const draft: Answers = { I_TR_1: '1', I_TR_2: '2' };
    expect(applyAnswerPatch(internal, draft, { I_TR_1: '4', I_TR_2: null })).toEqual({ ok: true, answers: { I_TR_1: '4' } });
    const rejected = applyAnswerPatch(internal, draft, { I_TR_1: '4', I_YEARS: 99, NOPE: '1' });
    expect(rejected).toEqual({
      ok: false,
      problems: [
        { item: 'I_YEARS', code: 'above_max', params: { max: 45 } },
        { item: 'NOPE', code: 'unknown_item' },
      ],
    });
    expect(draft).toEqual({ I_TR_1: '1', I_TR_2: '2' });
  });

  it('answers to items that a changed gate hides are dropped', () => {
    const merged = applyAnswerPatch(internal, { I_GATE: 'yes', I_PBJ_SAME: '2', I_PBJ_1: '1' }, { I_GATE: 'no' });
    expect(merged).toEqual({ ok: true, answers: { I_GATE: 'no' } });
  });

  it('lists every shown required item without an answer; hidden and optional items are not required', () => {
    expect(findIncompleteItems(internal, {}).map((problem) => problem.item)).toEqual(['I_TR_1', 'I_TR_2', 'I_GATE', 'I_YEARS']);
    expect(findIncompleteItems(internal, { I_TR_1: '1', I_TR_2: '1', I_GATE: 'yes', I_YEARS: 3 }).map((problem) => problem.item)).toEqual(['I_PBJ_SAME', 'I_PBJ_1']);
    expect(findIncompleteItems(internal, { I_TR_1: '1', I_TR_2: '1', I_GATE: 'no', I_YEARS: 3 })).toEqual([]);
  });
});

describe('quality flags', () => {
  const quality = { minSeconds: 60, straightlineMinItems: 3 };
  it('speeder: a duration below minSeconds', () => {
    expect(qualityFlags(quality, internal, {}, 59).speeder).toBe(true);
    expect(qualityFlags(quality, internal, {}, 60).speeder).toBe(false);
    expect(qualityFlags(quality, internal, {}, null).speeder).toBe(false);
    expect(qualityFlags(undefined, internal, {}, 1).speeder).toBe(false);
  });
  it('straightliner: at least N scale items answered, all with the same value', () => {
    expect(qualityFlags(quality, internal, { I_TR_1: '4', I_TR_2: '4', I_GATE: 'yes', I_PBJ_1: '4' }, 100).straightliner).toBe(true);
    expect(qualityFlags(quality, internal, { I_TR_1: '4', I_TR_2: '4', I_GATE: 'yes', I_PBJ_1: '3' }, 100).straightliner).toBe(false);
    // I_PBJ_SAME is not a scale item: two scale answers are below the threshold of three
    expect(qualityFlags(quality, internal, { I_TR_1: '4', I_TR_2: '4', I_GATE: 'no' }, 100).straightliner).toBe(false);
  });
});
