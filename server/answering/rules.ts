import type { Item, Questionnaire } from '../surveys/schema.js';

/** The rules of answering a questionnaire (survey-format.md), pure and shared by the web
 * pages, the JSON API and paper-entry import: value checks, skip logic, completeness. */

export type AnswerValue = string | string[] | number;
export type Answers = Record<string, AnswerValue>;

export type AnswerProblemCode =
  | 'unknown_item'
  | 'not_an_option'
  | 'wrong_type'
  | 'too_long'
  | 'not_a_number'
  | 'below_min'
  | 'above_max'
  | 'required';

export interface AnswerProblem {
  item: string;
  code: AnswerProblemCode;
  params?: Record<string, string | number>;
}

export const DEFAULT_TEXT_MAX_LENGTH = 2000;

export function isRequired(item: Item): boolean {
  return item.required ?? item.type === 'single';
}

/** Every item in page order, flattened once per questionnaire object (each request walks it). */
const itemLists = new WeakMap<Questionnaire, readonly Item[]>();
export function questionnaireItems(questionnaire: Questionnaire): readonly Item[] {
  let items = itemLists.get(questionnaire);
  if (!items) {
    items = questionnaire.pages.flatMap((page) => page.items);
    itemLists.set(questionnaire, items);
  }
  return items;
}

/** Index of items by code, built once per questionnaire object. */
const itemIndexes = new WeakMap<Questionnaire, Map<string, Item>>();
export function itemIndex(questionnaire: Questionnaire): Map<string, Item> {
  let index = itemIndexes.get(questionnaire);
  if (!index) {
    index = new Map(questionnaireItems(questionnaire).map((item) => [item.code, item]));
    itemIndexes.set(questionnaire, index);
  }
  return index;
}

/** Codes of the items shown for these answers. A gate must itself be shown for its
 * condition to count; gates always stand earlier, so one pass in order suffices. */
export function visibleItemCodes(questionnaire: Questionnaire, answers: Answers): Set<string> {
  const visible = new Set<string>();
  for (const item of questionnaireItems(questionnaire)) {
    if (!item.showIf) {
      visible.add(item.code);
      continue;
    }
    if (!visible.has(item.showIf.item)) continue;
    const gateAnswer = answers[item.showIf.item];
    const chosen = Array.isArray(gateAnswer) ? gateAnswer : gateAnswer === undefined ? [] : [String(gateAnswer)];
    if (chosen.some((value) => item.showIf!.in.includes(value))) visible.add(item.code);
  }
  return visible;
}

/** Checks one incoming value; `null` means "clear this answer". Form posts send strings,
 * so numbers may arrive as text (with a decimal comma, as Indonesian keyboards write them). */
export function normalizeAnswer(item: Item, raw: unknown): { value: AnswerValue | null } | { problem: AnswerProblem } {
  const problem = (code: AnswerProblemCode, params?: Record<string, string | number>) => ({ problem: { item: item.code, code, ...(params ? { params } : {}) } });
  if (raw === null || raw === undefined || raw === '') return { value: null };
  switch (item.type) {
    case 'single': {
      if (typeof raw !== 'string' && typeof raw !== 'number') return problem('wrong_type');
      const value = String(raw);
      if (!item.options!.some((option) => option.value === value)) return problem('not_an_option', { value: value.slice(0, 40) });
      return { value };
    }
    case 'multi': {
      const values = Array.isArray(raw) ? raw : [raw];
      if (!values.every((value) => typeof value === 'string' || typeof value === 'number')) return problem('wrong_type');
      const chosen = [...new Set(values.map(String))];
      const unknown = chosen.find((value) => !item.options!.some((option) => option.value === value));
      if (unknown !== undefined) return problem('not_an_option', { value: unknown.slice(0, 40) });
      if (chosen.length === 0) return { value: null };
      // keep the definition's order, so equal choices are stored equally
      return { value: item.options!.map((option) => option.value).filter((value) => chosen.includes(value)) };
    }
    case 'text': {
      if (typeof raw !== 'string') return problem('wrong_type');
      const text = raw.trim();
      if (text === '') return { value: null };
      const maxLength = item.maxLength ?? DEFAULT_TEXT_MAX_LENGTH;
      if (text.length > maxLength) return problem('too_long', { max: maxLength });
      return { value: text };
    }
    case 'number': {
      let number: number;
      if (typeof raw === 'number') number = raw;
      else if (typeof raw === 'string' && /^\s*-?\d+([.,]\d+)?\s*$/.test(raw)) number = Number(raw.trim().replace(',', '.'));
      else return problem('not_a_number');
      if (!Number.isFinite(number)) return problem('not_a_number');
      if (item.min !== undefined && number < item.min) return problem('below_min', { min: item.min });
      if (item.max !== undefined && number > item.max) return problem('above_max', { max: item.max });
      return { value: number };
    }
  }
}

/** Answers of items that are not shown are dropped (survey-format.md, showIf). */
export function dropHiddenAnswers(questionnaire: Questionnaire, answers: Answers): Answers {
  const visible = visibleItemCodes(questionnaire, answers);
  return Object.fromEntries(Object.entries(answers).filter(([code]) => visible.has(code)));
}

/** Merges a patch into a draft. Any invalid value rejects the whole patch (nothing saved). */
export function applyAnswerPatch(
  questionnaire: Questionnaire,
  draft: Answers,
  patch: Record<string, unknown>,
): { ok: true; answers: Answers } | { ok: false; problems: AnswerProblem[] } {
  const index = itemIndex(questionnaire);
  const problems: AnswerProblem[] = [];
  const merged: Answers = { ...draft };
  for (const [code, raw] of Object.entries(patch)) {
    const item = index.get(code);
    if (!item) {
      problems.push({ item: code.slice(0, 60), code: 'unknown_item' });
      continue;
    }
    const checked = normalizeAnswer(item, raw);
    if ('problem' in checked) problems.push(checked.problem);
    else if (checked.value === null) delete merged[code];
    else merged[code] = checked.value;
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, answers: dropHiddenAnswers(questionnaire, merged) };
}

/** Every shown required item that has no answer, and every stored value that is not valid. */
export function findIncompleteItems(questionnaire: Questionnaire, answers: Answers): AnswerProblem[] {
  const visible = visibleItemCodes(questionnaire, answers);
  const problems: AnswerProblem[] = [];
  for (const item of questionnaireItems(questionnaire)) {
    if (!visible.has(item.code)) continue;
    const value = answers[item.code];
    if (value === undefined) {
      if (isRequired(item)) problems.push({ item: item.code, code: 'required' });
      continue;
    }
    const checked = normalizeAnswer(item, value);
    if ('problem' in checked) problems.push(checked.problem);
  }
  return problems;
}

/** Which page (0-based) holds an item. */
export function pageOfItem(questionnaire: Questionnaire, itemCode: string): number {
  return questionnaire.pages.findIndex((page) => page.items.some((item) => item.code === itemCode));
}

/** The next (step 1) or previous (step -1) page, 1-based, that shows at least one item for
 * these answers; null past either end. Pages whose items are all skipped are passed over. */
export function adjacentPage(questionnaire: Questionnaire, answers: Answers, fromPage: number, step: 1 | -1): number | null {
  const visible = visibleItemCodes(questionnaire, answers);
  for (let page = fromPage + step; page >= 1 && page <= questionnaire.pages.length; page += step) {
    if (questionnaire.pages[page - 1]!.items.some((item) => visible.has(item.code))) return page;
  }
  return null;
}
