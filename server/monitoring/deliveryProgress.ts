import type { Channel } from '../invitations/outboxStore.js';
import { drainMinutes } from '../invitations/sendingHours.js';

/** How a round's sending is going, for the dashboard: a national blast is the longest work the
 * platform does (320,000 invitations at 10 a second per channel take hours). Pure: no I/O. */

/** The whole outbox, every survey's messages: what the dispatcher works through at each channel's
 * rate. `due`: pending and due now (not waiting for a retry). */
export interface OutboxSummary {
  pending: Record<Channel, number>;
  due: Record<Channel, number>;
  /** the last time any message was claimed for sending, ms since epoch */
  lastAttemptMs: number | null;
}

export interface DeliveryProgress {
  /** invitations of this survey that were queued, and how many of them have not left yet */
  invited: number;
  waiting: number;
  /** invited − waiting: no longer waiting (reached a provider, failed for good, or cancelled) */
  left: number;
  pendingTotal: number;
  pending: Record<Channel, number>;
  /** minutes until the whole outbox is drained at the configured rates; 0: under a minute */
  etaMinutes: number;
  /** due messages, the sending hours open, and nothing claimed for STALL_MS: no dispatcher is running */
  stalled: boolean;
}

/** Two minutes without a claim while messages are due: the dispatcher polls every 2 s, so this is
 * no pause between rounds but a dispatcher that is not running. */
export const STALL_MS = 2 * 60 * 1000;

/** Undefined when there is nothing to show: no invitation of the survey waits and the outbox is empty. */
export function deliveryProgress(
  survey: { invited: number; waiting: number },
  outbox: OutboxSummary,
  ratesPerSecond: Record<Channel, number>,
  nowMs: number,
  sendingOpen: boolean,
): DeliveryProgress | undefined {
  const pendingTotal = outbox.pending.email + outbox.pending.whatsapp;
  if (survey.waiting === 0 && pendingTotal === 0) return undefined;
  const due = outbox.due.email + outbox.due.whatsapp;
  return {
    invited: survey.invited,
    waiting: survey.waiting,
    left: survey.invited - survey.waiting,
    pendingTotal,
    pending: outbox.pending,
    etaMinutes: drainMinutes(outbox.pending, ratesPerSecond),
    stalled: sendingOpen && due > 0 && (outbox.lastAttemptMs === null || nowMs - outbox.lastAttemptMs > STALL_MS),
  };
}

