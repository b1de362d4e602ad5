import { dayIn, type Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { surveyAvailability } from '../surveys/service.js';
import { findSurveyById } from '../surveys/store.js';
import type { EmailChannel, SendOutcome, WhatsAppChannel } from './channels/types.js';
import { composeEmail, composeWhatsApp, type ComposeSettings, type Recipient } from './compose.js';
import {
  claimDueMessages,
  countAttemptsSince,
  markFailed,
  markSent,
  queueMessage,
  scheduleRetry,
  type Channel,
  type ClaimedMessage,
} from './outboxStore.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retryPolicy.js';
import { agencyTimeZones } from '../agencies/store.js';
import { formatSendingHours, sendingZones, zoneWindows, type SendingHours, type ZoneWindows } from './sendingHours.js';
import { findRecipient } from './store.js';

/** Drains the outbox (DESIGN invariant 3). Messages are claimed with a lease in one transaction,
 * so two dispatchers never send the same message; every claim is recorded, so the per-channel
 * rate holds across restarts and processes; a provider that answered is recorded at once. */

export interface ChannelLimits {
  perSecond: number;
  concurrency: number;
}

export interface DispatcherDependencies {
  db: Db;
  clock: Clock;
  logger: Logger;
  timeZone: string;
  channels: { email: EmailChannel; whatsapp: WhatsAppChannel };
  compose: ComposeSettings;
  limits: Record<Channel, ChannelLimits>;
  leaseMs?: number;
  /** when messages may leave, in each agency's local time (its time zone, or timeZone); none: at any hour */
  sendingHours?: SendingHours;
  retry?: RetryPolicy;
  random?: () => number;
  /** waits; tests pass one that moves a manual clock */
  sleep?: (milliseconds: number) => Promise<void>;
  /** hook run before each message is composed; tests use it to make one template fail */
  beforeCompose?: (message: ClaimedMessage) => void;
}

export interface DispatchSummary {
  sent: number;
  retried: number;
  failed: number;
  cancelled: number;
  /** outside the sending hours in every zone: nothing was claimed, and the first zone opens again at this instant */
  heldUntil?: Date;
}

const realSleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

export class Dispatcher {
  private readonly leaseMs: number;
  private readonly retry: RetryPolicy;
  private readonly random: () => number;
  private readonly sleep: (milliseconds: number) => Promise<void>;
  private stopping = false;
  private loop: Promise<void> | undefined;
  /** whether the last round found the sending hours closed (logged once per closing) */
  private held = false;

  constructor(private readonly deps: DispatcherDependencies) {
    this.leaseMs = deps.leaseMs ?? 60_000;
    this.retry = deps.retry ?? DEFAULT_RETRY_POLICY;
    this.random = deps.random ?? Math.random;
    this.sleep = deps.sleep ?? realSleep;
  }

  /** Delivers what is due now on every channel, then returns. */
  async runOnce(): Promise<DispatchSummary> {
    const summary: DispatchSummary = { sent: 0, retried: 0, failed: 0, cancelled: 0 };
    const { heldUntil, closed } = this.windows(this.deps.clock.now());
    if (heldUntil) {
      if (!this.held) this.deps.logger.info({ sendingHours: formatSendingHours(this.deps.sendingHours!), timeZones: [...closed.keys()], until: heldUntil.toISOString() }, 'outside the sending hours: queued messages wait');
      this.held = true;
      return { ...summary, heldUntil };
    }
    this.held = false;
    // Another round while the last one did something: a failure on one channel may have queued
    // a fallback on the other after that channel's drain had finished.
    for (;;) {
      const before = summary.sent + summary.retried + summary.failed + summary.cancelled;
      await Promise.all((['email', 'whatsapp'] as const).map((channel) => this.drain(channel, summary)));
      if (this.stopping || summary.sent + summary.retried + summary.failed + summary.cancelled === before) return summary;
    }
  }

  /** Runs in the background until stop(): drains, then polls. `onIdle` runs between rounds. */
  start(pollMs = 2_000, onIdle?: () => void | Promise<void>): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = (async () => {
      while (!this.stopping) {
        try {
          await onIdle?.();
          await this.runOnce();
        } catch (error) {
          this.deps.logger.error({ err: error }, 'dispatcher round failed');
        }
        if (!this.stopping) await realSleep(pollMs);
      }
    })();
  }

  /** Stops the background loop (after the round in progress) and closes the channels. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    this.loop = undefined;
    this.deps.channels.email.close();
  }

  /** The sending hours in every zone messages may go to, at this instant. The agencies' zones are
   * read each time (a few hundred rows), so an agency imported during a long drain counts. */
  private windows(instant: Date): ZoneWindows {
    if (!this.deps.sendingHours) return { closed: new Map() };
    return zoneWindows(instant, sendingZones(agencyTimeZones(this.deps.db), this.deps.timeZone), this.deps.sendingHours);
  }

  private async drain(channel: Channel, summary: DispatchSummary): Promise<void> {
    const { db, clock } = this.deps;
    const limits = this.deps.limits[channel];
    const inFlight = new Set<Promise<void>>();
    for (;;) {
      if (this.stopping) break;
      const now = clock.now().getTime();
      // the hours may close during a long drain: what is in flight finishes, nothing more is claimed;
      // where they closed in some zones only, their messages are put back until they open
      const { heldUntil, closed } = this.windows(new Date(now));
      if (heldUntil) break;
      const recent = countAttemptsSince(db, channel, now - 1000);
      const allowance = Math.min(limits.perSecond - recent, limits.concurrency - inFlight.size);
      if (allowance <= 0) {
        if (inFlight.size >= limits.concurrency) await Promise.race(inFlight);
        else await this.sleep(Math.max(5, Math.ceil(1000 / limits.perSecond)));
        continue;
      }
      const opensAtMs = new Map([...closed].map(([zone, opensAt]) => [zone, opensAt.getTime()]));
      const { claimed, deferred } = claimDueMessages(db, channel, allowance, now, this.leaseMs, { defaultZone: this.deps.timeZone, opensAtMs });
      if (claimed.length === 0) {
        if (deferred > 0) {
          // only messages to closed zones so far: claim on, letting requests in between
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        if (inFlight.size === 0) break;
        await Promise.race(inFlight);
        continue;
      }
      for (const message of claimed) {
        const work: Promise<void> = this.deliver(message, summary).finally(() => inFlight.delete(work));
        inFlight.add(work);
      }
    }
    await Promise.all(inFlight);
  }

  private async deliver(message: ClaimedMessage, summary: DispatchSummary): Promise<void> {
    const { db, clock, logger } = this.deps;
    const nowIso = () => clock.now().toISOString();
    const recipientRow = findRecipient(db, message.invitationId);
    const survey = recipientRow && findSurveyById(db, recipientRow.surveyId);
    if (!recipientRow || !survey) {
      markFailed(db, message.id, 'failed', 'the invitation no longer exists', null, nowIso());
      summary.failed++;
      return;
    }
    const reasonToCancel =
      recipientRow.optedOutAt !== null
        ? 'the respondent opted out'
        : recipientRow.withdrawnAt !== null
          ? 'the respondent was withdrawn from the sample'
        : recipientRow.status === 'completed'
          ? 'the questionnaire was already submitted'
          : surveyAvailability(survey, dayIn(clock.now(), this.deps.timeZone)) === 'closed'
            ? 'the survey is closed'
            : null;
    if (reasonToCancel) {
      markFailed(db, message.id, 'cancelled', reasonToCancel, null, nowIso());
      summary.cancelled++;
      return;
    }
    const recipient: Recipient = {
      invitationId: recipientRow.invitationId,
      tokenSeed: recipientRow.tokenSeed,
      name: recipientRow.name,
      email: recipientRow.email,
      phone: recipientRow.phone,
      language: recipientRow.invitationLanguage ?? recipientRow.respondentLanguage,
      agencyName: recipientRow.agencyName,
    };

    let outcome: SendOutcome;
    try {
      this.deps.beforeCompose?.(message);
      if (message.channel === 'email') {
        const email = await composeEmail(this.deps.compose, recipient, message.kind, survey.definition, survey.closesOn);
        outcome = await this.safeSend(() => this.deps.channels.email.send(email));
      } else {
        const whatsapp = composeWhatsApp(this.deps.compose, recipient, message.kind, survey.definition, survey.closesOn);
        outcome = await this.safeSend(() => this.deps.channels.whatsapp.send(whatsapp));
      }
    } catch (error) {
      // A message that cannot be composed fails alone; the queue goes on.
      markFailed(db, message.id, 'failed', `could not compose the message: ${(error as Error).message}`.slice(0, 500), 'compose', nowIso());
      summary.failed++;
      logger.warn({ messageId: message.id, err: error }, 'message could not be composed');
      return;
    }

    if (outcome.status === 'sent') {
      markSent(db, message.id, outcome.providerId, nowIso());
      summary.sent++;
      return;
    }
    if (outcome.status === 'retry' && message.attempts < this.retry.maxAttempts) {
      const next = clock.now().getTime() + retryDelayMs(message.attempts, this.retry, this.random);
      scheduleRetry(db, message.id, next, outcome.error, outcome.errorCode, nowIso());
      summary.retried++;
      return;
    }
    const finalState = outcome.status === 'bounced' ? 'bounced' : 'failed';
    markFailed(db, message.id, finalState, outcome.error, outcome.errorCode, nowIso());
    summary.failed++;
    // WhatsApp failed for good: the respondent is still reachable by email, if they have one.
    if (message.channel === 'whatsapp' && outcome.status !== 'retry' && recipient.email) {
      queueMessage(db, { invitationId: message.invitationId, channel: 'email', kind: message.kind }, clock.now().getTime(), nowIso());
    }
  }

  private async safeSend(send: () => Promise<SendOutcome>): Promise<SendOutcome> {
    try {
      return await send();
    } catch (error) {
      return { status: 'retry', error: `unexpected: ${(error as Error).message}`.slice(0, 500), errorCode: null };
    }
  }
}
