import type { Db } from '../platform/db.js';
import type { SurveyRecord } from '../surveys/store.js';
import { composeEmail, composeWhatsApp, type ComposeSettings } from './compose.js';
import type { Channel, MessageKind } from './outboxStore.js';
import { findRecipient } from './store.js';

export interface MessagePreview {
  subject: string;
  text: string;
}

/** The message one invitation would get, rendered for a staff member to check before sending.
 * The personal link in it is masked: it is the respondent's, not theirs to use. */
export async function previewMessage(
  db: Db,
  compose: ComposeSettings,
  survey: SurveyRecord,
  invitationId: number | undefined,
  kind: MessageKind,
  channelFor: (recipient: { email: string | null; phone: string | null }) => Channel,
): Promise<MessagePreview | null> {
  const row = invitationId === undefined ? undefined : findRecipient(db, invitationId);
  if (!row) return null;
  const recipient = { ...row, language: row.invitationLanguage ?? row.respondentLanguage };
  const rendered =
    channelFor(row) === 'whatsapp'
      ? { subject: 'WhatsApp', text: composeWhatsApp(compose, recipient, kind, survey.definition, survey.closesOn).previewText }
      : await composeEmail(compose, recipient, kind, survey.definition, survey.closesOn);
  return { subject: rendered.subject, text: rendered.text.replace(/\/r\/[A-Za-z0-9_-]{24}/g, '/r/…') };
}
