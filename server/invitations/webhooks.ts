import { Router, type Request, type Response } from 'express';
// only the signature check, not the whole client library (~20 MB a server answering surveys never needs)
import { validateRequest } from 'twilio/lib/webhooks/webhooks.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { normalizeMobileNumber } from '../respondents/phone.js';
import { findMessageByProviderId, queueMessage, updateProviderStatus, type MessageState } from './outboxStore.js';
import { findRecipient } from './store.js';
import { optOutPhone } from './sending.js';

/** Twilio's status callbacks and inbound replies. Both are signed: a request whose
 * X-Twilio-Signature does not match PUBLIC_URL + path and the posted fields gets 403 and
 * changes nothing. */

/** Twilio statuses in the order a message moves through them; callbacks arrive out of order
 * and a message never moves backwards. 'failed' and 'undelivered' end it. */
const PROVIDER_RANK: Record<string, number> = { accepted: 1, queued: 1, sending: 2, sent: 3, delivered: 4, read: 5, failed: 6, undelivered: 6 };

function stateFor(providerStatus: string): MessageState | null {
  switch (providerStatus) {
    case 'sent':
      return 'sent';
    case 'delivered':
    case 'read':
      return 'delivered';
    case 'failed':
    case 'undelivered':
      return 'failed';
    default:
      return null;
  }
}

const STOP_WORDS = new Set(['stop', 'berhenti', 'unsubscribe', 'stopall', 'cancel', 'end', 'quit', 'batal']);

export interface WebhookSettings {
  authToken: string | undefined;
  publicUrl: string;
}

export function twilioWebhooks(db: Db, clock: Clock, logger: Logger, settings: WebhookSettings): Router {
  const router = Router();

  function signed(request: Request): boolean {
    const signature = request.get('X-Twilio-Signature');
    if (!settings.authToken || !signature) return false;
    const params = (request.body ?? {}) as Record<string, string>;
    return validateRequest(settings.authToken, signature, settings.publicUrl + request.originalUrl, params);
  }

  router.post('/webhooks/twilio/status', (request: Request, response: Response) => {
    if (!signed(request)) return void response.status(403).json({ error: 'forbidden', message: 'Invalid signature.' });
    const body = request.body as Record<string, string>;
    const providerStatus = String(body.MessageStatus ?? '').toLowerCase();
    const message = body.MessageSid ? findMessageByProviderId(db, body.MessageSid) : undefined;
    if (!message) return void response.status(200).end(); // not ours, or already forgotten: nothing to do
    const rankNow = PROVIDER_RANK[message.providerStatus ?? ''] ?? 0;
    const rankNew = PROVIDER_RANK[providerStatus];
    const state = stateFor(providerStatus);
    if (rankNew !== undefined && rankNew > rankNow && message.state !== 'cancelled') {
      const nowIso = clock.now().toISOString();
      updateProviderStatus(db, message.id, state ?? message.state, providerStatus, body.ErrorCode || null, nowIso);
      // Not deliverable on WhatsApp (often known only now): fall back to email when there is one.
      if (state === 'failed' && message.channel === 'whatsapp' && findRecipient(db, message.invitationId)?.email) {
        queueMessage(db, { invitationId: message.invitationId, channel: 'email', kind: message.kind }, clock.now().getTime(), nowIso);
      }
    }
    response.status(200).end();
  });

  router.post('/webhooks/twilio/inbound', (request: Request, response: Response) => {
    if (!signed(request)) return void response.status(403).json({ error: 'forbidden', message: 'Invalid signature.' });
    const body = request.body as Record<string, string>;
    const word = String(body.Body ?? '').trim().toLowerCase();
    if (STOP_WORDS.has(word)) {
      const phone = normalizeMobileNumber(String(body.From ?? '').replace(/^whatsapp:/, ''));
      if (phone.ok) {
        const count = optOutPhone(db, clock, phone.e164);
        logger.info({ invitations: count }, 'opt-out by WhatsApp reply');
      }
    }
    response.type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
  });

  return router;
}
