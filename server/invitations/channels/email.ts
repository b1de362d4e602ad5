import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { EmailChannel, EmailMessage, SendOutcome } from './types.js';

interface SmtpError {
  responseCode?: number;
  code?: string;
  command?: string;
  message?: string;
}

/** SMTP answers: 5xx for the recipient is permanent (bounced), other 5xx permanent (failed),
 * 4xx and connection problems are transient. */
export function classifySmtpError(error: SmtpError): SendOutcome {
  const detail = (error.message ?? 'SMTP error').slice(0, 500);
  const code = error.responseCode ? String(error.responseCode) : (error.code ?? null);
  if (error.responseCode && error.responseCode >= 500) {
    return { status: error.command === 'RCPT TO' ? 'bounced' : 'failed', error: detail, errorCode: code };
  }
  return { status: 'retry', error: detail, errorCode: code };
}

function toMail(from: string, message: EmailMessage) {
  return { from, to: message.to, subject: message.subject, text: message.text, html: message.html, headers: message.headers };
}

/** Pooled SMTP from SMTP_URL. */
export function smtpEmailChannel(smtpUrl: string, from: string, maxConnections = 5): EmailChannel {
  const transport = nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections, maxMessages: 500 } as nodemailer.TransportOptions);
  return {
    async send(message) {
      try {
        const info = (await transport.sendMail(toMail(from, message))) as { messageId?: string };
        return { status: 'sent', providerId: info.messageId ?? null };
      } catch (error) {
        return classifySmtpError(error as SmtpError);
      }
    },
    close() {
      transport.close();
    },
  };
}

/** Without SMTP: each message is written as an .eml file, so the demo works offline. */
export function fileEmailChannel(outboxDir: string, from: string): EmailChannel {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(message) {
      const info = (await transport.sendMail(toMail(from, message))) as { messageId: string; message: Buffer };
      mkdirSync(outboxDir, { recursive: true });
      const fileName = `${new Date().toISOString().replace(/[:.]/g, '-')}-email-${info.messageId.replace(/[^A-Za-z0-9@.-]/g, '')}.eml`;
      writeFileSync(path.join(outboxDir, fileName), info.message);
      return { status: 'sent', providerId: info.messageId };
    },
    close() {},
  };
}
