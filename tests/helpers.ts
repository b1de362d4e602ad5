import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type IncomingMessage } from 'node:http';
import request from 'supertest';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../server/app.js';
import type { TokenGuardLimits } from '../server/answering/tokenGuard.js';
import { importAgencies } from '../server/agencies/service.js';
import { loadConfig, type Config } from '../server/config.js';
import { exportLinks } from '../server/invitations/service.js';
import { ManualClock } from '../server/platform/clock.js';
import { openDatabase, type Db } from '../server/platform/db.js';
import { createLogger } from '../server/platform/logger.js';
import { startReaderThread } from '../server/platform/readerThread.js';
import { importRespondents } from '../server/respondents/service.js';
import { changeSurveyStatus, loadSurveyDefinition } from '../server/surveys/service.js';
import { addStaff } from '../server/staff/service.js';
import type { SurveyDefinition } from '../server/surveys/schema.js';
import { testSurvey } from './fixtures/survey.js';

export const TEST_SECRET = Buffer.from('test-secret-key-of-at-least-32-characters!!');

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'integritas-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function tempDatabase(): { db: Db; dir: string; databasePath: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir();
  const databasePath = path.join(dir, 'test.db');
  const db = openDatabase(databasePath);
  return {
    db,
    dir,
    databasePath,
    cleanup: () => {
      if (db.open) db.close();
      cleanup();
    },
  };
}

export const AGENCIES_CSV = `code;name;kind;parent_code;units
PROV-A;Provinsi A;province;;Dinas Satu|Dinas Dua
KOTA-B;Kota B;city;PROV-A;Dinas Tiga
`;

export const RESPONDENTS_CSV = `agency_code,group,name,email,phone,unit,language
PROV-A,internal,Ani,ani@example.id,,Dinas Satu,id
PROV-A,internal,Budi,budi@example.id,0812-3456-7001,Dinas Dua,en
PROV-A,internal,Cici,cici@example.id,,,id
PROV-A,internal,Dodi,dodi@example.id,,,id
PROV-A,internal,Eka,eka@example.id,,,id
PROV-A,external,Fajar,,0812 3456 7002,,id
KOTA-B,internal,Gita,gita@example.id,,Dinas Tiga,id
`;

export interface World {
  db: Db;
  config: Config;
  secretKey: Buffer;
  clock: ManualClock;
  app: ReturnType<typeof createApp>;
  /** invitation token by respondent name */
  tokens: Map<string, string>;
  cleanup: () => void;
}

/** A temporary database with the test survey open, two agencies and seven respondents,
 * and the HTTP app on top; the clock stands inside the survey window. */
export async function createWorld(options: { survey?: SurveyDefinition; now?: string; open?: boolean; tokenLimits?: TokenGuardLimits; env?: Record<string, string> } = {}): Promise<World> {
  const { db, dir, cleanup } = tempDatabase();
  const clock = new ManualClock(options.now ?? '2026-08-01T03:00:00Z');
  const definition = options.survey ?? testSurvey();
  loadSurveyDefinition(db, clock, definition);
  if (options.open !== false) changeSurveyStatus(db, clock, definition.code, 'open');
  await importAgencies(db, clock, Buffer.from(AGENCIES_CSV));
  await importRespondents(db, clock, TEST_SECRET, definition.code, Buffer.from(RESPONDENTS_CSV));
  const config = loadConfig({ DATABASE_PATH: path.join(dir, 'test.db'), DATA_DIR: dir, LOG_LEVEL: 'silent', PUBLIC_URL: 'http://integritas.test', ...options.env });
  const logger = createLogger('silent');
  // as in main.ts: the dashboard's national counts go through the reader thread
  const reader = startReaderThread(db, logger);
  const app = createApp({ config, db, clock, secretKey: TEST_SECRET, logger, tokenLimits: options.tokenLimits, reader });
  const tokens = new Map<string, string>();
  for (const row of exportLinks(db, TEST_SECRET, config.PUBLIC_URL, definition.code, {})) tokens.set(row.name, row.link.split('/r/')[1]!);
  return {
    db,
    config,
    secretKey: TEST_SECRET,
    clock,
    app,
    tokens,
    cleanup: () => {
      void reader.stop();
      cleanup();
    },
  };
}

/** A complete, valid set of answers for the internal questionnaire of the test survey. */
export function completeInternalAnswers(): Record<string, unknown> {
  return { I_TR_1: '3', I_TR_2: '4', I_GATE: 'yes', I_PBJ_SAME: '2', I_PBJ_1: '1', I_CHANNELS: ['wbs', 'lapor'], I_YEARS: 7, I_NOTE: 'Baik' };
}

/** The CSRF token a staff form carries (the sign-in form's, or a signed-in page's). */
export function csrfTokenOf(html: string): string {
  return /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
}

/** Posts the sign-in form as a browser would: first GET it (its cookie and token), then POST. */
export async function postLogin(app: World['app'], fields: Record<string, unknown>, extraCookie?: string): Promise<request.Response> {
  const form = await request(app).get('/staff/login').expect(200);
  const cookie = String(form.headers['set-cookie']).split(';')[0]!;
  return request(app)
    .post('/staff/login')
    .set('Cookie', extraCookie ? `${cookie}; ${extraCookie}` : cookie)
    .type('form')
    .send({ ...fields, _csrf: csrfTokenOf(form.text) });
}

/** Signs a staff member in through the real form; returns the agent and the session's CSRF token. */
export async function signInStaff(app: World['app'], email: string, password: string): Promise<{ agent: ReturnType<typeof request.agent>; csrf: string }> {
  const agent = request.agent(app);
  const form = await agent.get('/staff/login').expect(200);
  await agent.post('/staff/login').type('form').send({ email, password, _csrf: csrfTokenOf(form.text) }).expect(303);
  const home = await agent.get('/staff').expect(200);
  return { agent, csrf: csrfTokenOf(home.text) };
}

/** Serves a world's app on a free loopback port (for the browser tests). */
/** The world's app on a port of 127.0.0.1. `holdRequest` may return a promise for a request, which
 * the app then only gets once it settles (what a slow server would look like to a browser). */
export async function serveWorld(world: World, options: { holdRequest?: (request: IncomingMessage) => Promise<void> | undefined } = {}): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const held = options.holdRequest?.(request);
    if (held) void held.then(() => world.app(request, response));
    else world.app(request, response);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: RouterLayer[] };
}

/** Every route registered on the app (method in lower case, path as written), read from Express'
 * router, so that walking tests cannot miss a route added later. */
export function registeredRoutes(app: World['app']): { method: string; path: string }[] {
  const routes: { method: string; path: string }[] = [];
  const walk = (stack: RouterLayer[]) => {
    for (const layer of stack) {
      if (layer.route) for (const method of Object.keys(layer.route.methods)) routes.push({ method, path: layer.route.path });
      else if (layer.handle.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: RouterLayer[] } }).router.stack);
  return routes;
}

/** supertest reads the body of any content type (CSV, XLSX, HTML, JSON) as raw bytes with this. */
export function rawBody(response: request.Response, done: (error: Error | null, body: unknown) => void): void {
  // superagent hands the parser the raw HTTP response stream, whatever its typings say
  const stream = response as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

/** One staff account per role (an administrator, an inspector, Kota B's liaison) and how to sign in as each. */
const STAFF_OF_EVERY_ROLE = [
  { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' },
  { email: 'inspektur@example.id', role: 'inspector', password: 'inspector-password-1' },
  { email: 'kota@example.id', role: 'liaison', agencyCode: 'KOTA-B', password: 'liaison-password-1' },
] as const;

export async function addStaffOfEveryRole(world: World): Promise<void> {
  for (const account of STAFF_OF_EVERY_ROLE) await addStaff(world.db, world.clock, { ...account });
}

export function signInAs(world: World, email: (typeof STAFF_OF_EVERY_ROLE)[number]['email']) {
  return signInStaff(world.app, email, STAFF_OF_EVERY_ROLE.find((account) => account.email === email)!.password);
}
