/** Time is injected so that tests control windows, durations and retries without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until moved; for tests and benchmarks. */
export class ManualClock implements Clock {
  private current: Date;
  constructor(start: Date | string) {
    this.current = new Date(start);
  }
  now(): Date {
    return new Date(this.current);
  }
  set(to: Date | string): void {
    this.current = new Date(to);
  }
  advance(milliseconds: number): void {
    this.current = new Date(this.current.getTime() + milliseconds);
  }
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone; survey windows are calendar days.
 * Every respondent request asks it; formatting costs ~10 µs, so the last answer is kept per time
 * zone for its UTC minute (today's zone offsets and their changes fall on whole minutes, so one
 * minute never spans two days). */
export function dayIn(instant: Date, timeZone: string): string {
  const minute = Math.floor(instant.getTime() / 60_000);
  let zone = dayFormats.get(timeZone);
  if (!zone) {
    // en-CA formats as YYYY-MM-DD.
    zone = { format: new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }), minute: Number.NaN, day: '' };
    dayFormats.set(timeZone, zone);
  }
  if (zone.minute !== minute) {
    zone.day = zone.format.format(instant);
    zone.minute = minute;
  }
  return zone.day;
}
/** Building an Intl.DateTimeFormat costs ~0.1 ms and a lot of garbage; it was the largest single
 * cost of a respondent request (BENCHMARKS.md, P1), so one is kept per time zone. */
const dayFormats = new Map<string, { format: Intl.DateTimeFormat; minute: number; day: string }>();

export function addDays(isoDay: string, days: number): string {
  const date = new Date(isoDay + 'T00:00:00Z');
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** The IANA name of a time zone as this runtime spells it ("asia/jayapura" → "Asia/Jayapura"), or
 * undefined when the runtime does not know it. */
export function canonicalTimeZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}
