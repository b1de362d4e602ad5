import ejs from 'ejs';
import path from 'node:path';
import { formatDay, translator } from '../platform/i18n.js';
import { normalizeMobileNumber } from '../respondents/phone.js';
import { viewsDir } from '../platform/paths.js';
import { localize, pickLanguage } from '../surveys/localize.js';
import type { SurveyDefinition } from '../surveys/schema.js';
import type { EmailMessage, WhatsAppMessage } from './channels/types.js';
import type { MessageKind } from './outboxStore.js';
import { deriveInvitationToken, invitationLink } from './tokens.js';

/** Everything a message needs about its recipient; read at send time, never stored with it. */
export interface Recipient {
  invitationId: number;
  tokenSeed: string;
  name: string;
  email: string | null;
  phone: string | null;
  language: string;
  agencyName: string;
}

export interface ComposeSettings {
  secretKey: Buffer;
  publicUrl: string;
  contentSids: { invitation?: string; reminder?: string };
}

interface MessageTexts {
  language: string;
  link: string;
  optOutLink: string;
  values: Record<string, string>;
}

function messageTexts(settings: ComposeSettings, recipient: Recipient, definition: SurveyDefinition, closesOn: string): MessageTexts {
  const language = pickLanguage(definition, recipient.language);
  const token = deriveInvitationToken(settings.secretKey, recipient.tokenSeed);
  const link = invitationLink(settings.publicUrl, token);
  const optOutLink = `${link}/opt-out`;
  return {
    language,
    link,
    optOutLink,
    values: {
      name: recipient.name,
      agency: recipient.agencyName,
      survey: localize(definition.title, language),
      link,
      closes: formatDay(closesOn, language),
      optOutLink,
    },
  };
}

/** `{placeholder}` filling for a survey's own texts; an unknown placeholder is an error. */
export function fillPlaceholders(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w*)\}/g, (_match, name: string) => {
    if (!(name in values)) throw new Error(`unknown placeholder {${name}}`);
    return values[name]!;
  });
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/** An email in the respondent's language: who asks and why, the personal link, the closing
 * date, the confidentiality promise, and an opt-out link with one-click unsubscribe (RFC 8058). */
export async function composeEmail(settings: ComposeSettings, recipient: Recipient, kind: MessageKind, definition: SurveyDefinition, closesOn: string): Promise<EmailMessage> {
  if (!recipient.email) throw new Error('the respondent has no email address');
  const texts = messageTexts(settings, recipient, definition, closesOn);
  const t = translator(texts.language);
  const values = texts.values;
  const override = definition.messages?.[kind];
  let subject: string;
  let paragraphs: string[];
  let closingParagraphs: string[];
  if (override) {
    subject = fillPlaceholders(localize(override.subject, texts.language), values);
    paragraphs = fillPlaceholders(localize(override.body, texts.language), values).split(/\n\s*\n/);
    closingParagraphs = [];
  } else {
    subject = t(`email.${kind}.subject`, values);
    paragraphs = [
      recipient.name ? t('email.greeting', values) : t('email.greeting_anonymous'),
      t(`email.${kind}.intro`, values),
      t('email.why'),
    ];
    closingParagraphs = [t('email.closes', { date: values.closes! }), t('email.confidential'), t('email.signature')];
  }
  const common = { language: texts.language, subject, link: texts.link, optOutLink: texts.optOutLink };
  // A survey's own body carries its link where the author put it; ours adds the button.
  const html = override
    ? `<!doctype html><html lang="${texts.language}"><body>${paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph).replace(escapeHtml(texts.link), `<a href="${escapeHtml(texts.link)}">${escapeHtml(texts.link)}</a>`)}</p>`).join('')}<p><a href="${escapeHtml(texts.optOutLink)}">${escapeHtml(t('email.optout_label'))}</a></p></body></html>`
    : await ejs.renderFile(path.join(viewsDir, 'invitations', 'email.html.ejs'), {
        ...common,
        paragraphs,
        closingParagraphs,
        linkIntro: t('email.link_intro'),
        buttonLabel: t('email.button'),
        optOutLabel: t('email.optout_label'),
      }, { cache: true });
  const text = override
    ? `${paragraphs.join('\n\n')}\n\n--\n${t('email.optout', { link: texts.optOutLink })}\n`
    : await ejs.renderFile(path.join(viewsDir, 'invitations', 'email.text.ejs'), {
        ...common,
        paragraphs,
        closingParagraphs,
        linkIntro: t('email.link_intro'),
        optOutText: t('email.optout', { link: texts.optOutLink }),
      }, { cache: true });
  return {
    to: recipient.email,
    subject,
    text,
    html,
    headers: {
      'List-Unsubscribe': `<${texts.optOutLink}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'Content-Language': texts.language,
    },
  };
}

/** A WhatsApp template message: the approved template's contentSid with its variables
 * 1 = name, 2 = agency, 3 = link, 4 = closing date. */
export function composeWhatsApp(settings: ComposeSettings, recipient: Recipient, kind: MessageKind, definition: SurveyDefinition, closesOn: string): WhatsAppMessage {
  if (!recipient.phone) throw new Error('the respondent has no phone number');
  // Checked again at send time: a number that is not a valid mobile number never reaches Twilio.
  if (!normalizeMobileNumber(recipient.phone).ok) throw new Error(`invalid phone number ${recipient.phone}`);
  const texts = messageTexts(settings, recipient, definition, closesOn);
  const t = translator(texts.language);
  const name = recipient.name || t('whatsapp.anonymous_name');
  return {
    to: recipient.phone,
    contentSid: settings.contentSids[kind],
    contentVariables: { '1': name, '2': recipient.agencyName, '3': texts.link, '4': texts.values.closes! },
    statusCallback: `${settings.publicUrl}/webhooks/twilio/status`,
    previewText: t(`whatsapp.${kind}`, { name, agency: recipient.agencyName, link: texts.link, date: texts.values.closes! }),
  };
}
