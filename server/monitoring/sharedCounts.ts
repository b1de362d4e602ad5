import type { Clock } from '../platform/clock.js';
import type { AgencyGroupRow } from './store.js';

/**
 * The national dashboard's counts, shared between viewers for a few seconds when they are costly.
 *
 * At national scale (300,000 invitations) the counts take about a second of SQLite work, and every
 * open dashboard asks again every 30 s. They run on the reader thread (platform/readerThread.ts),
 * so respondents are answered meanwhile, but a second of a core is still a second of a core: counts
 * that took at least `slowMs` are reused for `reuseForMs` by every viewer of that survey, and the
 * page says when they were counted. Viewers arriving while a count runs wait for that one. Small
 * surveys stay live.
 */
export interface SurveyCounts {
  rows: AgencyGroupRow[];
  countedAt: Date;
}

export interface SharedCountsOptions {
  reuseForMs?: number;
  slowMs?: number;
  /** milliseconds elapsed, for measuring the computation; the clock stays the one for "when" */
  elapsedMs?: () => number;
}

export function sharedSurveyCounts(count: (surveyId: number) => Promise<AgencyGroupRow[]>, clock: Clock, options: SharedCountsOptions = {}): (surveyId: number) => Promise<SurveyCounts> {
  const reuseForMs = options.reuseForMs ?? 15_000;
  const slowMs = options.slowMs ?? 200;
  const elapsedMs = options.elapsedMs ?? (() => performance.now());
  const latest = new Map<number, SurveyCounts & { tookMs: number }>();
  const running = new Map<number, Promise<SurveyCounts>>();
  return (surveyId) => {
    const now = clock.now();
    const kept = latest.get(surveyId);
    if (kept && kept.tookMs >= slowMs && now.getTime() - kept.countedAt.getTime() < reuseForMs) return Promise.resolve(kept);
    const inFlight = running.get(surveyId);
    if (inFlight) return inFlight;
    const started = elapsedMs();
    const counting = count(surveyId)
      .then((rows) => {
        const counted = { rows, countedAt: now, tookMs: elapsedMs() - started };
        latest.set(surveyId, counted);
        return counted;
      })
      .finally(() => running.delete(surveyId));
    running.set(surveyId, counting);
    return counting;
  };
}
