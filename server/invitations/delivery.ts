import path from 'node:path';
import type { Config } from '../config.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { fileEmailChannel, smtpEmailChannel } from './channels/email.js';
import type { EmailChannel, WhatsAppChannel } from './channels/types.js';
import { fileWhatsAppChannel, twilioWhatsAppChannel } from './channels/whatsapp.js';
import { Dispatcher, type DispatcherDependencies } from './dispatcher.js';

/** Builds the delivery channels from configuration: SMTP when SMTP_URL is set, Twilio when its
 * credentials are; otherwise files in DATA_DIR/outbox so the demo works offline. */

export function whatsappConfigured(config: Config): boolean {
  return Boolean(config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN && config.TWILIO_WHATSAPP_FROM);
}

export interface DeliveryOverrides {
  /** options for the real twilio library (tests: an httpClient talking to a local fake) */
  twilioClientOptions?: Record<string, unknown>;
  channels?: Partial<{ email: EmailChannel; whatsapp: WhatsAppChannel }>;
}

export function createChannels(config: Config, overrides: DeliveryOverrides = {}): { email: EmailChannel; whatsapp: WhatsAppChannel } {
  const outboxDir = path.join(config.DATA_DIR, 'outbox');
  const email = overrides.channels?.email ?? (config.SMTP_URL ? smtpEmailChannel(config.SMTP_URL, config.MAIL_FROM, config.EMAIL_CONCURRENCY) : fileEmailChannel(outboxDir, config.MAIL_FROM));
  const whatsapp =
    overrides.channels?.whatsapp ??
    (whatsappConfigured(config)
      ? twilioWhatsAppChannel({
          accountSid: config.TWILIO_ACCOUNT_SID!,
          authToken: config.TWILIO_AUTH_TOKEN!,
          from: config.TWILIO_WHATSAPP_FROM!,
          clientOptions: overrides.twilioClientOptions,
        })
      : fileWhatsAppChannel(outboxDir));
  return { email, whatsapp };
}

export function createDispatcher(
  config: Config,
  base: { db: Db; clock: Clock; logger: Logger; secretKey: Buffer },
  overrides: DeliveryOverrides & Partial<Pick<DispatcherDependencies, 'sleep' | 'random' | 'retry' | 'beforeCompose'>> = {},
): Dispatcher {
  return new Dispatcher({
    ...base,
    timeZone: config.TIMEZONE,
    channels: createChannels(config, overrides),
    compose: {
      secretKey: base.secretKey,
      publicUrl: config.PUBLIC_URL,
      contentSids: { invitation: config.TWILIO_CONTENT_SID_INVITE, reminder: config.TWILIO_CONTENT_SID_REMINDER },
    },
    limits: {
      email: { perSecond: config.EMAIL_RATE_PER_SEC, concurrency: config.EMAIL_CONCURRENCY },
      whatsapp: { perSecond: config.WHATSAPP_RATE_PER_SEC, concurrency: config.WHATSAPP_CONCURRENCY },
    },
    leaseMs: config.DISPATCH_LEASE_SECONDS * 1000,
    sendingHours: config.SENDING_HOURS,
    sleep: overrides.sleep,
    random: overrides.random,
    retry: overrides.retry,
    beforeCompose: overrides.beforeCompose,
  });
}
