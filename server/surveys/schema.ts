import { z } from 'zod';

/** The survey definition format of shared/spec/survey-format.md, with every rule it lists.
 * Structural checks come from zod; the cross-field rules are in `checkRules`, each reported
 * with the path of the offending value. */

export const SUPPORTED_LANGUAGES = ['id', 'en'] as const;
export type Language = (typeof SUPPORTED_LANGUAGES)[number];

const languageKey = z.enum(SUPPORTED_LANGUAGES);

/** A plain string (the same in every language) or {id: …, en: …}; `id` is always required. */
export const localizedTextSchema = z.union([
  z.string().min(1, 'must not be empty'),
  z
    .partialRecord(languageKey, z.string().min(1, 'must not be empty'))
    .refine((texts) => typeof texts.id === 'string', { message: 'the Bahasa Indonesia text ("id") is required' }),
]);
export type LocalizedText = z.infer<typeof localizedTextSchema>;

function isRealDay(value: string): boolean {
  const parsed = new Date(value + 'T00:00:00Z');
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value);
}

const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD')
  .refine(isRealDay, 'is not a real calendar date');

const code = (pattern: RegExp, description: string) => z.string().regex(pattern, `must match ${description}`);

const optionSchema = z.strictObject({
  value: z.string().min(1, 'must not be empty').max(40, 'must be at most 40 characters').regex(/^[^|]+$/, 'must not contain "|"'),
  label: localizedTextSchema,
  score: z.number().min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100').nullable().optional(),
});

const showIfSchema = z.strictObject({
  item: z.string().min(1),
  in: z.array(z.string()).min(1, 'must list at least one value'),
});

const itemSchema = z.strictObject({
  code: code(/^[A-Za-z0-9_]{1,40}$/, '[A-Za-z0-9_]{1,40}'),
  type: z.enum(['single', 'multi', 'text', 'number']),
  dimension: z.string().optional(),
  weight: z.number().positive('must be greater than 0').optional(),
  required: z.boolean().optional(),
  text: localizedTextSchema,
  help: localizedTextSchema.optional(),
  options: z.array(optionSchema).optional(),
  scale: z.boolean().optional(),
  showIf: showIfSchema.optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  maxLength: z.number().int().positive().optional(),
});

const pageSchema = z.strictObject({
  code: z.string().min(1).max(40),
  title: localizedTextSchema,
  items: z.array(itemSchema).min(1, 'a page needs at least one item'),
});

const questionnaireSchema = z.strictObject({
  intro: localizedTextSchema,
  pages: z.array(pageSchema).min(1, 'a questionnaire needs at least one page'),
});

const groupSchema = z.strictObject({
  title: localizedTextSchema,
  weight: z.number().min(0, 'must be 0 or more'),
  minResponses: z.number().int('must be a whole number').min(1, 'must be at least 1'),
});

const dimensionSchema = z.strictObject({
  code: code(/^[A-Za-z0-9_]{1,40}$/, '[A-Za-z0-9_]{1,40}'),
  title: localizedTextSchema,
});

const categorySchema = z.strictObject({
  code: code(/^[A-Za-z0-9_-]{1,40}$/, '[A-Za-z0-9_-]{1,40}'),
  title: localizedTextSchema,
  min: z.number().min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100'),
});

const qualitySchema = z.strictObject({
  minSeconds: z.number().int().min(0).optional(),
  straightlineMinItems: z.number().int().min(2).optional(),
});

/** Placeholders a survey's own message texts may use. */
export const MESSAGE_PLACEHOLDERS = ['name', 'agency', 'survey', 'link', 'closes', 'optOutLink'] as const;

const messageTemplateSchema = z.strictObject({
  subject: localizedTextSchema,
  body: localizedTextSchema,
});

const surveyObjectSchema = z.strictObject({
  code: code(/^[A-Za-z0-9_-]{2,40}$/, '[A-Za-z0-9_-]{2,40}').refine((value) => value !== '_new', '"_new" is reserved'),
  title: localizedTextSchema,
  opens: isoDay,
  closes: isoDay,
  languages: z.array(languageKey).min(1, 'must list at least one language'),
  groups: z.record(code(/^[A-Za-z0-9_-]{1,40}$/, '[A-Za-z0-9_-]{1,40}'), groupSchema),
  dimensions: z.array(dimensionSchema),
  categories: z.array(categorySchema).min(1, 'must list at least one category'),
  target: z.number().min(0).max(100).optional(),
  quality: qualitySchema.optional(),
  /** optional: the survey's own invitation and reminder texts (email), with {placeholders} */
  messages: z.strictObject({ invitation: messageTemplateSchema.optional(), reminder: messageTemplateSchema.optional() }).optional(),
  /** optional: reminders the dispatcher sends by itself, N days after the invitation */
  reminderSchedule: z.strictObject({ afterDays: z.array(z.number().int().min(1).max(365)).min(1).max(10) }).optional(),
  questionnaires: z.record(z.string(), questionnaireSchema),
});

export type SurveyDefinition = z.infer<typeof surveyObjectSchema>;
export type Questionnaire = SurveyDefinition['questionnaires'][string];
export type Page = Questionnaire['pages'][number];
export type Item = Page['items'][number];
export type Option = NonNullable<Item['options']>[number];

type IssueSink = (path: (string | number)[], message: string) => void;

function checkRules(survey: SurveyDefinition, report: IssueSink): void {
  if (isRealDay(survey.opens) && isRealDay(survey.closes) && survey.closes < survey.opens) report(['closes'], 'must not be before "opens"');
  if (new Set(survey.languages).size !== survey.languages.length) report(['languages'], 'lists a language twice');

  const groupCodes = Object.keys(survey.groups);
  if (groupCodes.length === 0) report(['groups'], 'must define at least one group');
  const weightSum = groupCodes.reduce((sum, group) => sum + survey.groups[group]!.weight, 0);
  if (groupCodes.length > 0 && Math.abs(weightSum - 1) > 1e-9) {
    report(['groups'], `group weights must sum to 1 (they sum to ${weightSum})`);
  }

  const dimensionCodes = new Set<string>();
  survey.dimensions.forEach((dimension, index) => {
    if (dimensionCodes.has(dimension.code)) report(['dimensions', index, 'code'], `dimension "${dimension.code}" is defined twice`);
    dimensionCodes.add(dimension.code);
  });

  survey.categories.forEach((category, index) => {
    const previous = survey.categories[index - 1];
    if (previous && !(category.min < previous.min)) {
      report(['categories', index, 'min'], 'categories must be sorted by min, highest first, with strictly decreasing mins');
    }
  });
  const lowest = survey.categories[survey.categories.length - 1];
  if (lowest && lowest.min !== 0) report(['categories', survey.categories.length - 1, 'min'], 'the last category must have min 0');

  for (const group of groupCodes) {
    if (!survey.questionnaires[group]) report(['questionnaires'], `group "${group}" has no questionnaire`);
  }
  for (const key of Object.keys(survey.questionnaires)) {
    if (!survey.groups[key]) report(['questionnaires', key], `"${key}" is not a group of this survey`);
  }

  for (const kind of ['invitation', 'reminder'] as const) {
    const template = survey.messages?.[kind];
    if (!template) continue;
    for (const part of ['subject', 'body'] as const) {
      const texts = typeof template[part] === 'string' ? { id: template[part] as string } : (template[part] as Record<string, string>);
      for (const [language, text] of Object.entries(texts)) {
        const path = ['messages', kind, part, ...(typeof template[part] === 'string' ? [] : [language])];
        for (const match of text.matchAll(/\{(\w*)\}/g)) {
          if (!(MESSAGE_PLACEHOLDERS as readonly string[]).includes(match[1]!)) {
            report(path, `unknown placeholder {${match[1]}} (known: ${MESSAGE_PLACEHOLDERS.map((name) => `{${name}}`).join(', ')})`);
          }
        }
        if (part === 'body' && !text.includes('{link}')) report(path, 'must contain {link}, the personal link');
      }
    }
  }
  if (survey.reminderSchedule) {
    const days = survey.reminderSchedule.afterDays;
    if (days.some((day, index) => index > 0 && day <= days[index - 1]!)) report(['reminderSchedule', 'afterDays'], 'must be increasing');
  }

  const itemCodes = new Set<string>();
  for (const [group, questionnaire] of Object.entries(survey.questionnaires)) {
    // items that stand earlier in this questionnaire, for showIf
    const earlier = new Map<string, Item>();
    questionnaire.pages.forEach((page, pageIndex) => {
      page.items.forEach((item, itemIndex) => {
        const path = ['questionnaires', group, 'pages', pageIndex, 'items', itemIndex];
        if (itemCodes.has(item.code)) report([...path, 'code'], `item code "${item.code}" is used twice in this survey`);
        itemCodes.add(item.code);
        checkItem(item, path, dimensionCodes, earlier, report);
        earlier.set(item.code, item);
      });
    });
  }
}

function checkItem(
  item: Item,
  path: (string | number)[],
  dimensionCodes: Set<string>,
  earlier: Map<string, Item>,
  report: IssueSink,
): void {
  const hasOptions = item.type === 'single' || item.type === 'multi';
  if (hasOptions) {
    if (!item.options) report([...path, 'options'], `a "${item.type}" item needs options`);
    else if (item.options.length < 2 || item.options.length > 12) report([...path, 'options'], 'must have between 2 and 12 options');
    const values = new Set<string>();
    item.options?.forEach((option, index) => {
      if (values.has(option.value)) report([...path, 'options', index, 'value'], `option value "${option.value}" is used twice in this item`);
      values.add(option.value);
    });
  } else if (item.options) {
    report([...path, 'options'], `a "${item.type}" item has no options`);
  }

  if (item.dimension !== undefined) {
    if (item.type !== 'single') report([...path, 'dimension'], `"${item.type}" items are never scored: remove the dimension`);
    else if (!dimensionCodes.has(item.dimension)) report([...path, 'dimension'], `dimension "${item.dimension}" is not defined in "dimensions"`);
    if (item.type === 'single' && !item.options?.some((option) => typeof option.score === 'number')) {
      report([...path, 'options'], 'a scored item needs at least one option with a numeric score');
    }
  } else if (item.options?.some((option) => typeof option.score === 'number') && item.type === 'multi') {
    report([...path, 'options'], '"multi" items are never scored: remove the scores');
  }
  if (item.weight !== undefined && item.dimension === undefined) report([...path, 'weight'], 'a weight needs a dimension');

  if ((item.min !== undefined || item.max !== undefined) && item.type !== 'number') {
    report([...path, item.min !== undefined ? 'min' : 'max'], 'only "number" items can have min and max');
  }
  if (item.min !== undefined && item.max !== undefined && item.min > item.max) report([...path, 'max'], 'must not be below min');
  if (item.maxLength !== undefined && item.type !== 'text') report([...path, 'maxLength'], 'only "text" items can have maxLength');
  if (item.scale && item.type !== 'single') report([...path, 'scale'], 'only "single" items can be scale items');

  if (item.showIf) {
    const gate = earlier.get(item.showIf.item);
    if (!gate) {
      report([...path, 'showIf', 'item'], `"${item.showIf.item}" must be an item that stands earlier in the same questionnaire`);
    } else if (gate.type !== 'single' && gate.type !== 'multi') {
      report([...path, 'showIf', 'item'], `"${item.showIf.item}" must be a "single" or "multi" item`);
    } else {
      const gateValues = new Set(gate.options?.map((option) => option.value));
      item.showIf.in.forEach((value, index) => {
        if (!gateValues.has(value)) report([...path, 'showIf', 'in', index], `"${value}" is not an option value of "${item.showIf!.item}"`);
      });
    }
  }
}

export const surveyDefinitionSchema = surveyObjectSchema.superRefine((survey, ctx) => {
  checkRules(survey, (path, message) => ctx.addIssue({ code: 'custom', path, message }));
});

/** `questionnaires.internal.pages[1].items[3].showIf.item` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += (out === '' ? '' : '.') + String(segment);
  }
  return out === '' ? '(document)' : out;
}

export interface DefinitionProblem {
  path: string;
  message: string;
}

export type DefinitionCheck =
  | { ok: true; definition: SurveyDefinition }
  | { ok: false; problems: DefinitionProblem[] };

/** Validates a parsed JSON document; every problem is listed, each with its path. */
export function checkSurveyDefinition(document: unknown): DefinitionCheck {
  const parsed = surveyDefinitionSchema.safeParse(document);
  if (parsed.success) return { ok: true, definition: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
  };
}
