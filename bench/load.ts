/** npm run bench:load [-- --respondents 500 --seconds 60]: many respondents at once against the
 * production server on loopback, each answering a whole questionnaire (GET, two PUTs, submit) and
 * then taking the next link, for a bounded time. Afterwards the database must hold exactly one
 * response per receipt: zero errors, zero lost. The test suite runs the same function at 50 for 5 s. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { importAgencies } from '../server/agencies/service.js';
import { demoAnswers, seededRandom } from '../server/demo.js';
import { exportLinks } from '../server/invitations/service.js';
import { addDays, dayIn, systemClock } from '../server/platform/clock.js';
import { openDatabase } from '../server/platform/db.js';
import { importRespondents } from '../server/respondents/service.js';
import type { Questionnaire, SurveyDefinition } from '../server/surveys/schema.js';
import { changeSurveyStatus, loadSurveyDefinition, parseDefinitionText } from '../server/surveys/service.js';
import { percentile, startProductionServer } from './lib.js';

export interface LoadOutcome {
  /** receipt codes returned by the server, one per acknowledged submission */
  receipts: string[];
  requests: number;
  /** responses that were not what the protocol says (anything but 200 / 201), or failed connections */
  errors: { status: number | string; path: string }[];
  latenciesMs: number[];
  seconds: number;
}

/** How a virtual respondent sends one request and reads its JSON answer. */
export type Transport = (url: string, init?: { method: 'PUT' | 'POST'; body: string }) => Promise<{ status: number; body: unknown }>;

/** Node's fetch, with its own pool of keep-alive connections. */
export const fetchTransport: Transport = async (url, init) => {
  const response = await fetch(url, init && { method: init.method, headers: { 'Content-Type': 'application/json' }, body: init.body });
  return { status: response.status, body: await response.json() };
};

/** `respondents` virtual respondents loop for `seconds`: each takes the next unused link and
 * answers it completely. Bounded by time and by the number of links. */
export async function respondentLoad(options: { baseUrl: string; tokens: string[]; respondents: number; seconds: number; answers: () => Record<string, unknown>[]; transport?: Transport }): Promise<LoadOutcome> {
  const outcome: LoadOutcome = { receipts: [], requests: 0, errors: [], latenciesMs: [], seconds: 0 };
  const send = options.transport ?? fetchTransport;
  const started = Date.now();
  const deadline = started + options.seconds * 1000;
  let next = 0;
  const call = async (kind: string, url: string, init?: { method: 'PUT' | 'POST'; body: string }): Promise<unknown> => {
    const begun = performance.now();
    outcome.requests++;
    try {
      const response = await send(url, init);
      outcome.latenciesMs.push(performance.now() - begun);
      if (response.status !== 200 && response.status !== 201) outcome.errors.push({ status: response.status, path: kind });
      return response.status === 201 ? response.body : undefined;
    } catch (error) {
      outcome.errors.push({ status: (error as Error).message, path: kind });
      return undefined;
    }
  };
  await Promise.all(
    Array.from({ length: options.respondents }, async () => {
      while (Date.now() < deadline && next < options.tokens.length) {
        const api = `${options.baseUrl}/api/v1/respond/${options.tokens[next++]}`;
        const [first, second] = options.answers();
        await call('questionnaire', api);
        await call('answers', `${api}/answers`, { method: 'PUT', body: JSON.stringify({ answers: first }) });
        await call('answers', `${api}/answers`, { method: 'PUT', body: JSON.stringify({ answers: second }) });
        const receipt = (await call('submit', `${api}/submit`, { method: 'POST', body: '{}' })) as { receipt?: string } | undefined;
        if (receipt?.receipt) outcome.receipts.push(receipt.receipt);
      }
    }),
  );
  outcome.seconds = (Date.now() - started) / 1000;
  outcome.latenciesMs.sort((a, b) => a - b);
  return outcome;
}

/** The demo survey's internal questionnaire answered in two halves, as a phone would save it. */
export function twoPageAnswers(questionnaire: Questionnaire, seed: number): () => Record<string, unknown>[] {
  const random = seededRandom(seed);
  return () => {
    const answers = demoAnswers(questionnaire, random, 0.6);
    const codes = Object.keys(answers);
    const half = Math.ceil(codes.length / 2);
    return [Object.fromEntries(codes.slice(0, half).map((code) => [code, answers[code]])), Object.fromEntries(codes.slice(half).map((code) => [code, answers[code]]))];
  };
}

/** The demo survey, open from a week ago for 60 days, without quality rules (benchmark clients
 * answer faster than any person would). */
export function openDemoDefinition(): SurveyDefinition {
  const today = dayIn(new Date(), 'Asia/Jakarta');
  const definition = parseDefinitionText(readFileSync('seeds/demo-survey.json', 'utf8'));
  return { ...definition, opens: addDays(today, -7), closes: addDays(today, 60), quality: undefined };
}

/** A database with the demo survey open and `count` internal respondents; their tokens. */
export async function loadDatabase(databasePath: string, secret: Buffer, count: number): Promise<{ tokens: string[]; questionnaire: Questionnaire }> {
  const db = openDatabase(databasePath);
  const { survey } = loadSurveyDefinition(db, systemClock, openDemoDefinition());
  changeSurveyStatus(db, systemClock, survey.code, 'open');
  await importAgencies(db, systemClock, Buffer.from('code,name,kind\nLOAD,Instansi Uji Beban,agency\n'));
  const rows = Array.from({ length: count }, (_, index) => `LOAD,internal,R ${index},r${index}@example.id`).join('\n');
  await importRespondents(db, systemClock, secret, survey.code, Buffer.from(`agency_code,group,name,email\n${rows}\n`));
  const tokens = [...exportLinks(db, secret, 'http://x', survey.code, {})].map((row) => row.link.slice(row.link.lastIndexOf('/') + 1));
  db.close();
  return { tokens, questionnaire: survey.definition.questionnaires.internal! };
}

/** What the database holds after the load, against what the clients were told. */
export function countStored(databasePath: string): { responses: number; completed: number; receipts: Set<string> } {
  const db = openDatabase(databasePath);
  const responses = db.prepare('SELECT COUNT(*) FROM responses').pluck().get() as number;
  const receipts = new Set(db.prepare(`SELECT receipt_code FROM invitations WHERE status = 'completed'`).pluck().all() as string[]);
  db.close();
  return { responses, completed: receipts.size, receipts };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { respondents: { type: 'string', default: '500' }, seconds: { type: 'string', default: '60' } } });
  const respondents = Number(values.respondents);
  const seconds = Number(values.seconds);
  const secret = 'benchmark-secret-key-of-at-least-32-characters';
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  const work = mkdtempSync(path.join(tmpdir(), 'integritas-load-'));
  try {
    const databasePath = path.join(work, 'load.db');
    // enough links that no virtual respondent runs out (about 600 responses/s at most on 2 cores)
    const { tokens, questionnaire } = await loadDatabase(databasePath, Buffer.from(secret), Math.max(2000, seconds * 700));
    const server = await startProductionServer(databasePath, work, secret);
    console.log(`${respondents} concurrent respondents for ${seconds} s against ${server.baseUrl} …`);
    const outcome = await respondentLoad({ baseUrl: server.baseUrl, tokens, respondents, seconds, answers: twoPageAnswers(questionnaire, 11) });
    const peakRss = server.peakRssMb();
    await server.stop();
    const stored = countStored(databasePath);
    const lost = outcome.receipts.filter((receipt) => !stored.receipts.has(receipt)).length;
    console.log(`requests               ${outcome.requests} in ${outcome.seconds.toFixed(1)} s (${(outcome.requests / outcome.seconds).toFixed(0)} req/s)`);
    console.log(`complete responses     ${outcome.receipts.length} (${(outcome.receipts.length / outcome.seconds).toFixed(0)}/s)`);
    console.log(`latency p50 / p99      ${percentile(outcome.latenciesMs, 50).toFixed(1)} / ${percentile(outcome.latenciesMs, 99).toFixed(1)} ms`);
    console.log(`errors                 ${outcome.errors.length}  target 0`);
    console.log(`receipts lost          ${lost}  target 0`);
    console.log(`responses stored       ${stored.responses} (completed invitations ${stored.completed}, receipts ${outcome.receipts.length})  target equal`);
    console.log(`server peak RSS        ${peakRss.toFixed(0)} MB`);
    if (outcome.errors.length > 0 || lost > 0 || stored.responses !== outcome.receipts.length) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
