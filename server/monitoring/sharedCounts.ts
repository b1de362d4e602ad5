import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { agencyGroupCounts, type AgencyGroupRow } from './store.js';

/**
 * The national dashboard's counts, shared between viewers for a few seconds when they are costly.
 *
 * At national scale (300,000 invitations) the counts take about half a second of SQLite work on the
 * server's only thread, during which no respondent is answered; every open dashboard asks again
 * every 30 s. So counts that took at least `slowMs` to compute are reused for `reuseForMs` by every
 * viewer of that survey, and the page says when they were counted. Small surveys stay live.
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

export function sharedSurveyCounts(db: Db, clock: Clock, options: SharedCountsOptions = {}): (surveyId: number) => SurveyCounts {
  const reuseForMs = options.reuseForMs ?? 15_000;
  const slowMs = options.slowMs ?? 200;
  const elapsedMs = options.elapsedMs ?? (() => performance.now());
  const latest = new Map<number, SurveyCounts & { tookMs: number }>();
  return (surveyId) => {
    const now = clock.now();
    const kept = latest.get(surveyId);
    if (kept && kept.tookMs >= slowMs && now.getTime() - kept.countedAt.getTime() < reuseForMs) return kept;
    const started = elapsedMs();
    const rows = agencyGroupCounts(db, surveyId, null);
    const counted = { rows, countedAt: now, tookMs: elapsedMs() - started };
    latest.set(surveyId, counted);
    return counted;
  };
}
