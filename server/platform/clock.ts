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

/** The calendar day (YYYY-MM-DD) of an instant in a time zone; survey windows are calendar days. */
export function dayIn(instant: Date, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    // en-CA formats as YYYY-MM-DD.
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, format);
  }
  return format.format(instant);
}
/** Building an Intl.DateTimeFormat costs ~0.1 ms and a lot of garbage; it was the largest single
 * cost of a respondent request (BENCHMARKS.md, P1), so one is kept per time zone. */
const dayFormats = new Map<string, Intl.DateTimeFormat>();

export function addDays(isoDay: string, days: number): string {
  const date = new Date(isoDay + 'T00:00:00Z');
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
