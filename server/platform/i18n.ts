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
  return dateFormat(language, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(isoDay + 'T00:00:00Z'));
}

/** Intl formatters are costly to build (a monitoring table of 600 agencies built one per cell):
 * one is kept per language and options. */
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

export function numberFormat(language: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `n|${language}|${JSON.stringify(options)}`;
  let format = formatters.get(key) as Intl.NumberFormat | undefined;
  if (!format) formatters.set(key, (format = new Intl.NumberFormat(dateLocales[language] ?? 'id-ID', options)));
  return format;
}

export function dateFormat(language: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `d|${language}|${JSON.stringify(options)}`;
  let format = formatters.get(key) as Intl.DateTimeFormat | undefined;
  if (!format) formatters.set(key, (format = new Intl.DateTimeFormat(dateLocales[language] ?? 'id-ID', options)));
  return format;
}

/** A response rate as "42,5%" / "42.5%"; "–" when there is no one to count. */
export function formatPercent(rate: number | null, language: string): string {
  return rate === null ? '–' : `${numberFormat(language, { maximumFractionDigits: 1 }).format(rate * 100)}%`;
}

/** A whole count as "4.803" / "4,803", for the pages' texts. */
export function formatCount(count: number, language: string): string {
  return numberFormat(language, { maximumFractionDigits: 0 }).format(count);
}

/** A wait in whole minutes as "±2 jam 5 menit" / "about 2 h 5 min"; 0 is under a minute. */
export function formatMinutes(minutes: number, t: Translate): string {
  if (minutes === 0) return t('duration.soon');
  if (minutes < 60) return t('duration.minutes', { minutes });
  return t('duration.hours', { hours: Math.floor(minutes / 60), minutes: minutes % 60 });
}
