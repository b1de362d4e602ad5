import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayIn } from '../../server/platform/clock.js';

// dayIn keeps its last answer per time zone for one UTC minute; whatever the order of the calls,
// it must give what a fresh formatter gives, also around midnight and daylight-saving changes.
const zones = ['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura', 'Asia/Kathmandu', 'America/New_York', 'Australia/Lord_Howe', 'Pacific/Chatham', 'UTC'];
const formats = new Map(zones.map((timeZone) => [timeZone, new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })]));
/** the day as the formatter says it, asked every time */
const freshDay = (instant: Date, timeZone: string) => formats.get(timeZone)!.format(instant);

describe('dayIn', () => {
  it('gives the calendar day of the instant in the zone, whatever was asked before', () => {
    // bursts of calls within two minutes of a quarter hour (every local midnight and DST change
    // falls on one), in random order, so a cached day is asked again just across the boundary
    const burst = fc.tuple(
      fc.integer({ min: 0, max: 24 * 4 * 365 * 3 }),
      fc.constantFrom(...zones),
      fc.array(fc.integer({ min: -120_000, max: 120_000 }), { minLength: 2, maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(burst, { minLength: 1, maxLength: 10 }), (bursts) => {
        for (const [quarterHours, zone, offsetsMs] of bursts) {
          const boundary = Date.UTC(2025, 0, 1) + quarterHours * 15 * 60_000;
          for (const offsetMs of offsetsMs) expect(dayIn(new Date(boundary + offsetMs), zone)).toBe(freshDay(new Date(boundary + offsetMs), zone));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('changes day at local midnight within the same cached zone', () => {
    // Jakarta is UTC+7: 16:59:59.999Z is still the 1st, 17:00:00.000Z is the 2nd
    expect(dayIn(new Date('2026-03-01T16:59:59.999Z'), 'Asia/Jakarta')).toBe('2026-03-01');
    expect(dayIn(new Date('2026-03-01T17:00:00.000Z'), 'Asia/Jakarta')).toBe('2026-03-02');
    expect(dayIn(new Date('2026-03-01T16:59:30.000Z'), 'Asia/Jakarta')).toBe('2026-03-01');
  });
});
