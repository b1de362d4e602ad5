import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SendOutcome, WhatsAppChannel, WhatsAppMessage } from './types.js';

/** Twilio error codes that mean "this recipient cannot get this message": never retried.
 * 21211 invalid To, 21614 not a mobile number, 63003/63024 not a WhatsApp user or invalid
 * recipient, 21610 recipient unsubscribed (STOP), 63016 outside the session window without a template. */
const PERMANENT_TWILIO_CODES = new Set([21211, 21614, 63003, 63024, 21610, 21408, 63016]);

export function classifyTwilioError(error: { status?: number; code?: number; message?: string }): SendOutcome {
  const detail = (error.message ?? 'Twilio error').slice(0, 500);
  const errorCode = error.code !== undefined ? String(error.code) : error.status !== undefined ? `HTTP ${error.status}` : null;
  if (error.code !== undefined && PERMANENT_TWILIO_CODES.has(error.code)) return { status: 'failed', error: detail, errorCode };
  if (error.status === 400 && error.code === undefined) return { status: 'failed', error: detail, errorCode };
  // 429, 5xx, authentication (fixable by configuration) and network errors: try again later
  return { status: 'retry', error: detail, errorCode };
}

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  /** whatsapp:+… or +… */
  from: string;
  /** the real library's options: tests pass an httpClient that talks to a local fake of the API */
  clientOptions?: Record<string, unknown>;
}

export function twilioWhatsAppChannel(settings: TwilioSettings): WhatsAppChannel {
  // the client library is loaded with the first message: a server that only answers surveys never pays its ~20 MB
  let client: Promise<import('twilio').Twilio> | undefined;
  const connect = () => (client ??= import('twilio').then(({ default: twilio }) => twilio(settings.accountSid, settings.authToken, settings.clientOptions as never)));
  const from = settings.from.startsWith('whatsapp:') ? settings.from : `whatsapp:${settings.from}`;
  return {
    async send(message: WhatsAppMessage): Promise<SendOutcome> {
      try {
        const created = await (await connect()).messages.create({
          from,
          to: `whatsapp:${message.to}`,
          ...(message.contentSid ? { contentSid: message.contentSid, contentVariables: JSON.stringify(message.contentVariables) } : { body: message.previewText }),
          statusCallback: message.statusCallback,
        });
        return { status: 'sent', providerId: created.sid };
      } catch (error) {
        return classifyTwilioError(error as { status?: number; code?: number; message?: string });
      }
    },
  };
}

/** Without Twilio credentials: the would-be message is written as JSON to the outbox folder. */
export function fileWhatsAppChannel(outboxDir: string): WhatsAppChannel {
  return {
    async send(message) {
      mkdirSync(outboxDir, { recursive: true });
      const providerId = `file-${randomUUID()}`;
      writeFileSync(
        path.join(outboxDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-whatsapp-${providerId}.json`),
        JSON.stringify({ to: `whatsapp:${message.to}`, contentSid: message.contentSid ?? null, contentVariables: message.contentVariables, text: message.previewText }, null, 2) + '\n',
      );
      return { status: 'sent', providerId };
    },
  };
}
