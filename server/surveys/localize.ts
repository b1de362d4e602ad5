import type { Language, LocalizedText, SurveyDefinition } from './schema.js';

/** The text in the wanted language, falling back to Bahasa Indonesia (always present). */
export function localize(text: LocalizedText | undefined, language: string): string {
  if (text === undefined) return '';
  if (typeof text === 'string') return text;
  return text[language as Language] ?? text.id ?? '';
}

/** The language to show: the wanted one when the survey offers it, else the survey's default. */
export function pickLanguage(definition: SurveyDefinition, ...wanted: (string | null | undefined)[]): Language {
  for (const candidate of wanted) {
    if (candidate && (definition.languages as string[]).includes(candidate)) return candidate as Language;
  }
  return definition.languages[0] ?? 'id';
}
