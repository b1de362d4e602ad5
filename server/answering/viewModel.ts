import { localize } from '../surveys/localize.js';
import type { Item, Questionnaire } from '../surveys/schema.js';
import type { Translate } from '../platform/i18n.js';
import { isRequired, visibleItemCodes, type AnswerProblem, type Answers } from './rules.js';

/** What the respondent pages show of a questionnaire page, localized and with current answers. */
export interface ItemView {
  code: string;
  type: Item['type'];
  text: string;
  help: string;
  required: boolean;
  hidden: boolean;
  options: { value: string; label: string; checked: boolean }[];
  value: string;
  hint: string;
  min?: number;
  max?: number;
  maxLength?: number;
  showIf: string | null;
  error: string | null;
}

export function problemMessage(problem: AnswerProblem, t: Translate): string {
  return t(`problem.${problem.code}`, problem.params);
}

function hintFor(item: Item, t: Translate): string {
  if (item.type === 'multi') return t('page.choose_many');
  if (item.type === 'number') {
    if (item.min !== undefined && item.max !== undefined) return t('page.number_range', { min: item.min, max: item.max });
    if (item.min !== undefined) return t('page.number_min', { min: item.min });
    if (item.max !== undefined) return t('page.number_max', { max: item.max });
  }
  return '';
}

export function pageItemViews(
  questionnaire: Questionnaire,
  pageIndex: number,
  answers: Answers,
  language: string,
  t: Translate,
  problems: AnswerProblem[] = [],
  /** values just posted that were rejected, shown back as typed */
  posted: Record<string, unknown> = {},
): ItemView[] {
  const visible = visibleItemCodes(questionnaire, answers);
  const page = questionnaire.pages[pageIndex]!;
  return page.items.map((item) => {
    const raw = item.code in posted ? posted[item.code] : answers[item.code];
    const chosen = Array.isArray(raw) ? raw.map(String) : raw === undefined || raw === null ? [] : [String(raw)];
    const problem = problems.find((candidate) => candidate.item === item.code);
    return {
      code: item.code,
      type: item.type,
      text: localize(item.text, language),
      help: localize(item.help, language),
      required: isRequired(item),
      hidden: !visible.has(item.code),
      options: (item.options ?? []).map((option) => ({
        value: option.value,
        label: localize(option.label, language),
        checked: chosen.includes(option.value),
      })),
      value: chosen[0] ?? '',
      hint: hintFor(item, t),
      min: item.min,
      max: item.max,
      maxLength: item.type === 'text' ? (item.maxLength ?? 2000) : undefined,
      showIf: item.showIf ? JSON.stringify(item.showIf) : null,
      error: problem ? problemMessage(problem, t) : null,
    };
  });
}
