import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelopeTo: string[];
  parsed: ParsedMail;
}

export interface TestSmtpServer {
  url: string;
  received: ReceivedMail[];
  /** TCP connections accepted so far */
  connections: number;
  /** set per test: an SMTP reply for a recipient, e.g. {code: 550, message: 'no such user'} */
  rejectRecipient: (address: string) => { code: number; message: string } | null;
  close(): Promise<void>;
}

/** A real SMTP server (the smtp-server package) on a free loopback port. */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const state: TestSmtpServer = {
    url: '',
    received: [],
    connections: 0,
    rejectRecipient: () => null,
    close: async () => {},
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const rejection = state.rejectRecipient(address.address);
      if (!rejection) return callback();
      const error = new Error(rejection.message) as Error & { responseCode: number };
      error.responseCode = rejection.code;
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        simpleParser(Buffer.concat(chunks))
          .then((parsed) => {
            state.received.push({ envelopeTo: session.envelope.rcptTo.map((recipient) => recipient.address), parsed });
            callback();
          })
          .catch(callback);
      });
    },
  });
  // a client that goes away mid-connection (a killed dispatcher) resets it; anything else is a failure
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ECONNRESET') throw error;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.server.on('connection', () => state.connections++);
  state.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
