import { en } from './locales/en.js';
import { id, type MessageKey } from './locales/id.js';

export type { MessageKey };
export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

const catalogs: Record<string, Record<MessageKey, string>> = { id, en };
const dateLocales: Record<string, string> = { id: 'id-ID', en: 'en-GB' };

export function translator(language: string): Translate {
  const catalog = catalogs[language] ?? id;
  return (key, params) => {
    const template = catalog[key] ?? id[key] ?? key;
    if (!params) return template;
    return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in params ? String(params[name]) : match));
  };
}

/** "30 September 2025" / "30 September 2025" (id-ID writes month names in Indonesian). */
export function formatDay(isoDay: string, language: string): string {
  return new Intl.DateTimeFormat(dateLocales[language] ?? 'id-ID', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(isoDay + 'T00:00:00Z'),
  );
}
