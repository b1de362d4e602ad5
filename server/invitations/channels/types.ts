/** What the dispatcher hands to a channel, and what a channel answers. Channels turn provider
 * errors into one of three outcomes; the dispatcher decides retries and limits. */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

export interface WhatsAppMessage {
  /** E.164, without the whatsapp: prefix */
  to: string;
  contentSid: string | undefined;
  contentVariables: Record<string, string>;
  statusCallback: string;
  /** the text the template renders to, for the file transport and logs of the demo */
  previewText: string;
}

export type SendOutcome =
  | { status: 'sent'; providerId: string | null }
  /** transient: try again later */
  | { status: 'retry'; error: string; errorCode: string | null }
  /** permanent for this recipient: never retried */
  | { status: 'failed' | 'bounced'; error: string; errorCode: string | null };

export interface EmailChannel {
  send(message: EmailMessage): Promise<SendOutcome>;
  close(): void;
}

export interface WhatsAppChannel {
  send(message: WhatsAppMessage): Promise<SendOutcome>;
}
