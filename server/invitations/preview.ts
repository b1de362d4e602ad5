import type { Db } from '../platform/db.js';
import type { SurveyRecord } from '../surveys/store.js';
import { composeEmail, composeWhatsApp, type ComposeSettings } from './compose.js';
import type { MessageKind } from './outboxStore.js';
import type { PlannedMessage } from './sending.js';
import { findRecipient } from './store.js';

export interface MessagePreview {
  subject: string;
  text: string;
}

/** The message one invitation would get on the channel it would go by, rendered for a staff
 * member to check before sending. The personal link in it is masked: it is the respondent's, not
 * theirs to use. */
export async function previewMessage(db: Db, compose: ComposeSettings, survey: SurveyRecord, message: PlannedMessage | undefined, kind: MessageKind): Promise<MessagePreview | null> {
  const row = message === undefined ? undefined : findRecipient(db, message.invitationId);
  if (!message || !row) return null;
  const recipient = { ...row, language: row.invitationLanguage ?? row.respondentLanguage };
  const rendered =
    message.channel === 'whatsapp'
      ? { subject: 'WhatsApp', text: composeWhatsApp(compose, recipient, kind, survey.definition, survey.closesOn).previewText }
      : await composeEmail(compose, recipient, kind, survey.definition, survey.closesOn);
  return { subject: rendered.subject, text: rendered.text.replace(/\/r\/[A-Za-z0-9_-]{24}/g, '/r/…') };
}
