import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

/** An in-process fake of Twilio's Messages API, behaving like the real one where it matters:
 * it checks Basic auth, accepts a WhatsApp template send with 201 and a SID, rejects an invalid
 * number with 400 / code 21211, rate-limits with 429 / code 20429 when told to, and signs the
 * status callbacks it produces as Twilio does. */

export const FAKE_ACCOUNT_SID = 'AC' + '0'.repeat(32);
export const FAKE_AUTH_TOKEN = 'fake-auth-token-0123456789abcdef';

export interface FakeTwilioMessage {
  sid: string;
  to: string;
  from: string;
  contentSid: string | undefined;
  contentVariables: Record<string, string>;
  body: string | undefined;
  statusCallback: string | undefined;
}

export interface FakeTwilio {
  baseUrl: string;
  accepted: FakeTwilioMessage[];
  requests: number;
  /** numbers (E.164) the fake treats as invalid */
  invalidNumbers: Set<string>;
  /** how many of the next requests get 429 */
  rateLimitNext: number;
  /** the httpClient to give the real twilio library */
  httpClient: { request(options: TwilioRequest): Promise<{ statusCode: number; body: string; headers: Record<string, string> }> };
  /** the signed form fields of a status callback, as Twilio would post them */
  statusCallback(message: FakeTwilioMessage, status: string, extra?: Record<string, string>): { url: string; params: Record<string, string>; signature: string };
  signature(url: string, params: Record<string, string>): string;
  close(): Promise<void>;
}

interface TwilioRequest {
  method: string;
  uri: string;
  username?: string;
  password?: string;
  headers?: Record<string, string>;
  data?: Record<string, string>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => resolve(body));
  });
}

export async function startFakeTwilio(): Promise<FakeTwilio> {
  const fake = { accepted: [] as FakeTwilioMessage[], requests: 0, invalidNumbers: new Set<string>(), rateLimitNext: 0 } as FakeTwilio;
  const server: Server = createServer(async (request, response) => {
    const body = new URLSearchParams(await readBody(request));
    const send = (status: number, payload: object) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(payload));
    };
    fake.requests++;
    const expectedAuth = 'Basic ' + Buffer.from(`${FAKE_ACCOUNT_SID}:${FAKE_AUTH_TOKEN}`).toString('base64');
    if (request.headers.authorization !== expectedAuth) return send(401, { code: 20003, message: 'Authenticate', status: 401 });
    if (request.method !== 'POST' || request.url !== `/2010-04-01/Accounts/${FAKE_ACCOUNT_SID}/Messages.json`) return send(404, { code: 20404, message: 'Not found', status: 404 });
    if (fake.rateLimitNext > 0) {
      fake.rateLimitNext--;
      return send(429, { code: 20429, message: 'Too Many Requests', status: 429 });
    }
    const to = body.get('To') ?? '';
    const from = body.get('From') ?? '';
    if (!/^whatsapp:\+\d{8,15}$/.test(to) || fake.invalidNumbers.has(to.replace(/^whatsapp:/, ''))) {
      return send(400, { code: 21211, message: `The 'To' number ${to} is not a valid phone number.`, status: 400 });
    }
    if (!/^whatsapp:\+\d{8,15}$/.test(from)) return send(400, { code: 63007, message: 'Twilio could not find a Channel with the specified From address', status: 400 });
    if (!body.get('ContentSid') && !body.get('Body')) return send(400, { code: 21602, message: 'Message body is required.', status: 400 });
    const message: FakeTwilioMessage = {
      sid: 'SM' + randomBytes(16).toString('hex'),
      to,
      from,
      contentSid: body.get('ContentSid') ?? undefined,
      contentVariables: JSON.parse(body.get('ContentVariables') ?? '{}'),
      body: body.get('Body') ?? undefined,
      statusCallback: body.get('StatusCallback') ?? undefined,
    };
    fake.accepted.push(message);
    send(201, { sid: message.sid, status: 'queued', to, from, account_sid: FAKE_ACCOUNT_SID, date_created: new Date().toUTCString() });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.httpClient = {
    async request(options) {
      const target = new URL(options.uri);
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.username) headers.Authorization = 'Basic ' + Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64');
      const reply = await fetch(fake.baseUrl + target.pathname + target.search, {
        method: options.method.toUpperCase(),
        headers,
        body: options.data ? new URLSearchParams(options.data).toString() : undefined,
      });
      return { statusCode: reply.status, body: await reply.text(), headers: { "content-type": reply.headers.get("content-type") ?? "" } };
    },
  };
  fake.signature = (url, params) => twilio.getExpectedTwilioSignature(FAKE_AUTH_TOKEN, url, params);
  fake.statusCallback = (message, status, extra = {}) => {
    const params = { MessageSid: message.sid, MessageStatus: status, AccountSid: FAKE_ACCOUNT_SID, To: message.to, From: message.from, ...extra };
    const url = message.statusCallback!;
    return { url, params, signature: fake.signature(url, params) };
  };
  fake.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return fake;
}
