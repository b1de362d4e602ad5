import type { FunnelCounts } from './store.js';

/** Response rate = completed / (invited − failed − bounced − opted out): of those who could be
 * reached, how many answered. Null when nobody could be reached. */
export function responseRate(counts: Pick<FunnelCounts, 'invited' | 'failed' | 'bounced' | 'optedOut' | 'completed'>): number | null {
  const reachable = counts.invited - counts.failed - counts.bounced - counts.optedOut;
  if (reachable <= 0) return counts.completed > 0 ? 1 : null;
  return Math.min(1, counts.completed / reachable);
}
