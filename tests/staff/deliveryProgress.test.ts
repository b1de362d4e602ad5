import { describe, expect, it } from 'vitest';
import { deliveryProgress, STALL_MS, type OutboxSummary } from '../../server/monitoring/deliveryProgress.js';

const NOW = Date.parse('2026-08-01T03:00:00Z');
const outbox = (email: number, whatsapp: number, due = email + whatsapp, lastAttemptMs: number | null = NOW - 1000): OutboxSummary => ({
  pending: { email, whatsapp },
  due: { email: Math.min(due, email), whatsapp: Math.max(0, due - email) },
  lastAttemptMs,
});
const rates = { email: 10, whatsapp: 20 };

describe('delivery progress', () => {
  it('is nothing to show when no invitation waits and the outbox is empty', () => {
    expect(deliveryProgress({ invited: 500, waiting: 0 }, outbox(0, 0), rates, NOW, true)).toBeUndefined();
  });

  it('counts what has left, and drains the outbox channel by channel at their own rates', () => {
    // 36,000 emails at 10/s = 60 min; 36,000 WhatsApp at 20/s = 30 min, side by side: 60 min
    expect(deliveryProgress({ invited: 100_000, waiting: 72_000 }, outbox(36_000, 36_000), rates, NOW, true)).toEqual({
      invited: 100_000,
      waiting: 72_000,
      left: 28_000,
      pendingTotal: 72_000,
      pending: { email: 36_000, whatsapp: 36_000 },
      etaMinutes: 60,
      stalled: false,
    });
    expect(deliveryProgress({ invited: 10, waiting: 1 }, outbox(1, 0), rates, NOW, true)!.etaMinutes).toBe(0);
    expect(deliveryProgress({ invited: 10, waiting: 0 }, outbox(601, 0), rates, NOW, true)!.etaMinutes).toBe(2);
    // another survey's queue still shows, since it is what this survey's messages wait behind
    expect(deliveryProgress({ invited: 10, waiting: 0 }, outbox(50, 0), rates, NOW, true)).toMatchObject({ waiting: 0, pendingTotal: 50 });
  });

  it('is stalled only when messages are due, the hours are open and nothing was claimed for two minutes', () => {
    const stalled = (summary: OutboxSummary, open = true) => deliveryProgress({ invited: 10, waiting: 5 }, summary, rates, NOW, open)!.stalled;
    expect(stalled(outbox(5, 0, 5, null))).toBe(true);
    expect(stalled(outbox(5, 0, 5, NOW - STALL_MS - 1))).toBe(true);
    expect(stalled(outbox(5, 0, 5, NOW - STALL_MS))).toBe(false);
    // waiting for a retry, not due: the dispatcher has nothing to do
    expect(stalled(outbox(5, 0, 0, null))).toBe(false);
    // outside the sending hours nothing leaves on purpose
    expect(stalled(outbox(5, 0, 5, null), false)).toBe(false);
  });
});
