import type { SurveyDefinition } from './schema.js';

const TEXT_KEYS = new Set(['title', 'text', 'help', 'label', 'intro']);

/** Canonical JSON (sorted keys) without the shown texts, so reordered keys or corrected
 * wording do not count as a change. */
function canonicalWithoutTexts(value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map(canonicalWithoutTexts).join(',') + ']';
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([key, inner]) => !TEXT_KEYS.has(key) && inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return '{' + entries.map(([key, inner]) => JSON.stringify(key) + ':' + canonicalWithoutTexts(inner)).join(',') + '}';
  }
  return JSON.stringify(value);
}

/** What answers mean: the questionnaires (and the group keys they belong to) without texts.
 * Once a survey is open, a new definition must keep this identical. */
export function questionnaireStructure(definition: SurveyDefinition): string {
  return canonicalWithoutTexts(definition.questionnaires);
}
