import request from 'supertest';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { apiEndpoint } from '../../server/answering/api.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { completeInternalAnswers, createWorld, serveWorld, type World } from '../helpers.js';
import { changeSurveyStatus } from '../../server/surveys/service.js';
import { testSurvey } from '../fixtures/survey.js';

let world: World;
beforeEach(async () => {
  world = await createWorld();
});
afterEach(() => world.cleanup());

const token = (name = 'Ani') => world.tokens.get(name)!;
const api = (path: string) => `/api/v1/respond/${path}`;
const count = (sql: string) => world.db.prepare(sql).pluck().get() as number;

describe('respondent JSON API', () => {
  it('GET returns the localized questionnaire, the languages and an empty draft', async () => {
    const response = await request(world.app).get(api(token())).expect(200);
    expect(response.body).toMatchObject({ survey: { code: 'SPI-TEST', title: 'Survei Uji' }, group: { code: 'internal' }, languages: ['id', 'en'], language: 'id', status: 'new', answers: {} });
    expect(response.body.pages.map((page: { code: string }) => page.code)).toEqual(['p1', 'p2', 'p3']);
    expect(response.body.pages[0].items[0]).toMatchObject({ code: 'I_TR_1', type: 'single', required: true, text: 'Informasi layanan terbuka.' });
    const english = await request(world.app).get(api(token()) + '?lang=en').expect(200);
    expect(english.body.language).toBe('en');
    expect(english.body.pages[0].items[0].options[4]).toEqual({ value: 'dk', label: "Don't know" });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('an unknown token and a malformed one get the same 404 body', async () => {
    const unknown = await request(world.app).get(api('A'.repeat(24))).expect(404);
    const malformed = await request(world.app).get(api('not a token!')).expect(404);
    expect(unknown.body).toEqual(malformed.body);
    expect(unknown.text).toBe(malformed.text);
    // errors leave through the app's error handler, still never cached
    expect([unknown.headers['cache-control'], malformed.headers['cache-control']]).toEqual(['no-store', 'no-store']);
    await request(world.app).put(api('x/answers')).send({ answers: {} }).expect(404);
  });

  it('PUT merges into the draft; status becomes in_progress; another device sees the same draft', async () => {
    await request(world.app).put(api(`${token()}/answers`)).send({ answers: { I_TR_1: '3' } }).expect(200, { saved: 1 });
    await request(world.app).put(api(`${token()}/answers`)).send({ answers: { I_TR_2: '4', I_CHANNELS: ['email', 'wbs'] } }).expect(200, { saved: 2 });
    const draft = await request(world.app).get(api(token())).expect(200);
    expect(draft.body.status).toBe('in_progress');
    expect(draft.body.answers).toEqual({ I_TR_1: '3', I_TR_2: '4', I_CHANNELS: ['wbs', 'email'] });
    await request(world.app).put(api(`${token()}/answers`)).send({ answers: { I_TR_1: null } }).expect(200);
    expect((await request(world.app).get(api(token()))).body.answers).toEqual({ I_TR_2: '4', I_CHANNELS: ['wbs', 'email'] });
  });

  it('PUT with an invalid value answers 422 naming each item, and saves nothing of that body', async () => {
    await request(world.app).put(api(`${token()}/answers`)).send({ answers: { I_TR_1: '3' } }).expect(200);
    const response = await request(world.app)
      .put(api(`${token()}/answers`) + '?lang=en')
      .send({ answers: { I_TR_1: '1', I_YEARS: 99, I_TR_2: 'x', GHOST: 1 } })
      .expect(422);
    expect(response.body.errors).toEqual([
      { item: 'I_YEARS', code: 'above_max', message: 'The number must be at most 45.' },
      { item: 'I_TR_2', code: 'not_an_option', message: '“x” is not an option of this question.' },
      { item: 'GHOST', code: 'unknown_item', message: 'This question is not part of the questionnaire.' },
    ]);
    expect((await request(world.app).get(api(token()))).body.answers).toEqual({ I_TR_1: '3' });
  });

  it('refuses bodies of the wrong shape and broken JSON with a clear 4xx', async () => {
    const wrongShape = await request(world.app).put(api(`${token()}/answers`)).send({ I_TR_1: '3' }).expect(422);
    expect(wrongShape.body.errors[0]).toMatchObject({ field: 'answers' });
    const broken = await request(world.app).put(api(`${token()}/answers`)).set('Content-Type', 'application/json').send('{"answers": ').expect(400);
    expect(broken.body).toEqual({ error: 'invalid_json', message: 'The request body is not valid JSON.' });
    expect(broken.text).not.toMatch(/at .*\.js|SyntaxError/);
  });

  it('submit with missing answers lists every missing item (422) and keeps the valid part as draft', async () => {
    const response = await request(world.app).post(api(`${token()}/submit`)).send({ answers: { I_TR_1: '2', I_GATE: 'yes' } }).expect(422);
    expect(response.body.errors.map((error: { item: string }) => error.item)).toEqual(['I_TR_2', 'I_PBJ_SAME', 'I_PBJ_1', 'I_YEARS']);
    expect(response.body.errors[0].message).toBe('Pertanyaan ini wajib dijawab.');
    expect((await request(world.app).get(api(token()))).body.answers).toEqual({ I_TR_1: '2', I_GATE: 'yes' });
    expect(count('SELECT COUNT(*) FROM responses')).toBe(0);
  });

  it('a complete submit stores one anonymous response, deletes the draft, and later calls get 409', async () => {
    world.clock.set('2026-08-01T03:00:00Z');
    await request(world.app).get(api(token())).expect(200); // opened now
    await request(world.app).put(api(`${token()}/answers`)).send({ answers: { I_TR_1: '1' } }).expect(200);
    world.clock.advance(5 * 60 * 1000);
    const submitted = await request(world.app).post(api(`${token()}/submit`)).send({ answers: completeInternalAnswers() }).expect(201);
    expect(submitted.body.receipt).toMatch(/^[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}$/);

    const responseRow = world.db.prepare('SELECT * FROM responses').get() as Record<string, unknown>;
    expect(responseRow).toMatchObject({ group_code: 'internal', submitted_on: '2026-08-01', duration_seconds: 300, source: 'web', flag_speeder: 0, flag_straightliner: 0, questionnaire_version: 1 });
    expect(String(responseRow.id)).toMatch(/^[0-9a-f]{32}$/);
    const answers = world.db.prepare('SELECT item_code, value_json FROM response_answers ORDER BY item_code').all();
    expect(answers).toEqual([
      { item_code: 'I_CHANNELS', value_json: '["wbs","lapor"]' },
      { item_code: 'I_GATE', value_json: '"yes"' },
      { item_code: 'I_NOTE', value_json: '"Baik"' },
      { item_code: 'I_PBJ_1', value_json: '"1"' },
      { item_code: 'I_PBJ_SAME', value_json: '"2"' },
      { item_code: 'I_TR_1', value_json: '"3"' },
      { item_code: 'I_TR_2', value_json: '"4"' },
      { item_code: 'I_YEARS', value_json: '7' },
    ]);
    const invitation = world.db.prepare(`SELECT status, draft_json, completed_on, receipt_code FROM invitations i JOIN respondents r ON r.id = i.respondent_id WHERE r.name = 'Ani'`).get();
    expect(invitation).toEqual({ status: 'completed', draft_json: null, completed_on: '2026-08-01', receipt_code: submitted.body.receipt });

    expect((await request(world.app).get(api(token())).expect(409)).body).toEqual({ status: 'completed' });
    await request(world.app).put(api(`${token()}/answers`)).send({ answers: { I_TR_1: '1' } }).expect(409);
    await request(world.app).post(api(`${token()}/submit`)).send({}).expect(409);
    expect(count('SELECT COUNT(*) FROM responses')).toBe(1);
  });

  it('answers dropped by skip logic are not stored; quality flags are set at submission', async () => {
    await request(world.app).get(api(token())).expect(200);
    world.clock.advance(20 * 1000); // 20 s: faster than minSeconds (60)
    const answers = { ...completeInternalAnswers(), I_GATE: 'no', I_TR_1: '4', I_TR_2: '4', I_PBJ_1: '4' };
    await request(world.app).post(api(`${token()}/submit`)).send({ answers }).expect(201);
    expect(world.db.prepare('SELECT item_code FROM response_answers ORDER BY item_code').pluck().all()).toEqual(['I_CHANNELS', 'I_GATE', 'I_NOTE', 'I_TR_1', 'I_TR_2', 'I_YEARS']);
    // only two scale items remain answered (the gate hid I_PBJ_1): not a straight-liner; but a speeder
    expect(world.db.prepare('SELECT flag_speeder, flag_straightliner, duration_seconds FROM responses').get()).toEqual({ flag_speeder: 1, flag_straightliner: 0, duration_seconds: 20 });
  });

  it('four racing submits produce exactly one response and one receipt', async () => {
    const results = await Promise.all(Array.from({ length: 4 }, () => request(world.app).post(api(`${token()}/submit`)).send({ answers: completeInternalAnswers() })));
    expect(results.map((result) => result.status).sort()).toEqual([201, 409, 409, 409]);
    expect(count('SELECT COUNT(*) FROM responses')).toBe(1);
  });

  it('the database itself refuses to complete an invitation twice', async () => {
    await request(world.app).post(api(`${token()}/submit`)).send({ answers: completeInternalAnswers() }).expect(201);
    expect(() => world.db.prepare(`UPDATE invitations SET status = 'completed' WHERE status = 'completed'`).run()).toThrow(/already completed/);
    expect(() => world.db.prepare(`UPDATE invitations SET status = 'in_progress' WHERE status = 'completed'`).run()).toThrow(/already completed/);
  });

  it('a survey not open answers 410 {status: "closed"}: before the window, after it, or closed by status', async () => {
    world.clock.set('2026-06-30T12:00:00Z');
    expect((await request(world.app).get(api(token())).expect(410)).body).toMatchObject({ status: 'closed', reason: 'not_open' });
    world.clock.set('2026-12-31T16:59:00Z'); // 23:59 in Jakarta: still open
    await request(world.app).get(api(token())).expect(200);
    world.clock.set('2026-12-31T17:00:00Z'); // 1 January in Jakarta
    expect((await request(world.app).get(api(token())).expect(410)).body).toMatchObject({ status: 'closed', reason: 'closed' });
    world.clock.set('2026-08-01T03:00:00Z');
    changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'closed');
    await request(world.app).post(api(`${token()}/submit`)).send({ answers: completeInternalAnswers() }).expect(410);
  });

  it('a draft survey is not open yet even inside its dates', async () => {
    world.cleanup();
    world = await createWorld({ survey: testSurvey(), open: false });
    expect((await request(world.app).get(api(token())).expect(410)).body).toMatchObject({ status: 'closed', reason: 'not_open' });
  });
});

describe('anonymity in the schema', () => {
  it('responses carry no column that could join them to an invitation or a respondent', () => {
    const columns = (table: string) => (world.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((column) => column.name);
    expect(columns('responses').sort()).toEqual(
      ['agency_id', 'cleared_reason', 'duration_seconds', 'entry_id', 'flag_manual', 'flag_speeder', 'flag_straightliner', 'flags_cleared', 'group_code', 'id', 'manual_reason', 'questionnaire_version', 'scored', 'source', 'submitted_on', 'survey_id', 'unit_id'].sort(),
    );
    expect(columns('response_answers').sort()).toEqual(['item_code', 'response_id', 'value_json']);
    expect(columns('response_scores').sort()).toEqual(['agency_id', 'dimension', 'group_code', 'response_id', 'score', 'survey_id']);
    expect(() => world.db.prepare('SELECT rowid FROM response_scores').all()).toThrow(/no such column: rowid/);
    // WITHOUT ROWID: no hidden insertion-ordered rowid to sort responses by arrival
    expect(() => world.db.prepare('SELECT rowid FROM responses').all()).toThrow(/no such column: rowid/);
    expect(() => world.db.prepare('SELECT rowid FROM response_answers').all()).toThrow(/no such column: rowid/);
  });
});

describe('reading the API’s paths and bodies without a router or body-parser', () => {
  it('finds the three endpoints, with a trailing slash, a query string or an encoded token, and nothing else', () => {
    expect(apiEndpoint('GET', '/api/v1/respond/abc')).toEqual({ action: 'open', token: 'abc' });
    expect(apiEndpoint('HEAD', '/api/v1/respond/abc/?lang=en')).toEqual({ action: 'open', token: 'abc' });
    expect(apiEndpoint('PUT', '/api/v1/respond/a%2Db/answers')).toEqual({ action: 'save', token: 'a-b' });
    expect(apiEndpoint('POST', '/api/v1/respond/abc/submit/')).toEqual({ action: 'submit', token: 'abc' });
    for (const [method, url] of [
      ['POST', '/api/v1/respond/abc'],
      ['GET', '/api/v1/respond/abc/answers'],
      ['PUT', '/api/v1/respond/abc/submit'],
      ['POST', '/api/v1/respond/abc/submit/more'],
      ['GET', '/api/v1/respond/'],
      ['GET', '/api/v1/respond//answers'],
      ['GET', '/api/v1/respond/%E0%A4%A'],
    ] as const) expect(apiEndpoint(method, url), `${method} ${url}`).toBeUndefined();
  });

  it('answers what it cannot read as body-parser did: 400, 413, 415, and a body of another type as none', async () => {
    const put = () => request(world.app).put(api(`${token()}/answers`));
    const notAnObject = await put().set('Content-Type', 'application/json').send('"I_TR_1"').expect(400);
    expect(notAnObject.body.error).toBe('invalid_json');
    await put().set('Content-Type', 'application/json').send('  ').expect(400);
    const tooLarge = await put().send({ answers: { I_TR_1: 'x'.repeat(300 * 1024) } }).expect(413);
    expect(tooLarge.body.error).toBe('too_large');
    await put().set('Content-Type', 'application/json; charset=latin1').send('{"answers":{}}').expect(415);
    const gzipped = await put().set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send(gzipSync('{"answers":{}}')).expect(415);
    expect(gzipped.body).toEqual({ error: 'bad_request', message: 'The request could not be read.' });
    // the security headers leave with the error too
    expect(gzipped.headers['content-security-policy']).toBeDefined();
    expect(gzipped.headers['cache-control']).toBe('no-store');
    // not JSON: no body at all, so the shape check names the field
    const plain = await put().set('Content-Type', 'text/plain').send('{"answers":{"I_TR_1":"3"}}').expect(422);
    expect(plain.body.errors[0]).toMatchObject({ field: 'answers' });
    await put().set('Content-Type', 'application/json; charset=UTF-8').send('{"answers":{"I_TR_1":"3"}}').expect(200, { saved: 1 });
    expect((await request(world.app).get(api(token()))).body.answers).toEqual({ I_TR_1: '3' });
    // an empty JSON body is {}: a submit without answers, which then lists what is missing
    const emptySubmit = await request(world.app).post(api(`${token()}/submit`)).set('Content-Type', 'application/json').send('').expect(422);
    expect(emptySubmit.body.errors.length).toBeGreaterThan(0);
  });

  it('reads a chunked body (no Content-Length), and stops one that grows past the limit', async () => {
    const served = await serveWorld(world);
    const send = (chunks: string[]) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const outgoing = httpRequest(`${served.baseUrl}${api(`${token()}/answers`)}`, { method: 'PUT', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (incoming) => {
          let body = '';
          incoming.on('data', (chunk: Buffer) => (body += chunk.toString()));
          incoming.on('end', () => resolve({ status: incoming.statusCode!, body }));
        });
        outgoing.on('error', reject);
        for (const chunk of chunks) outgoing.write(chunk);
        outgoing.end();
      });
    try {
      expect(await send(['{"answers":', '{"I_TR_1":"4"}}'])).toEqual({ status: 200, body: '{"saved":1}' });
      expect((await request(world.app).get(api(token()))).body.answers).toEqual({ I_TR_1: '4' });
      const tooLarge = await send(['{"answers":{"I_TR_2":"', ...Array(40).fill('x'.repeat(8 * 1024)), '"}}']);
      expect(tooLarge.status).toBe(413);
      expect((await request(world.app).get(api(token()))).body.answers).toEqual({ I_TR_1: '4' });
    } finally {
      await served.close();
    }
  });

  it('the rate limit per token still guards the API', async () => {
    const limited = await createWorld({ tokenLimits: { requestsPerToken: 3, failuresPerAddress: 100, windowMs: 60_000 } });
    try {
      const path = api(limited.tokens.get('Ani')!);
      for (let i = 0; i < 3; i++) await request(limited.app).get(path).expect(200);
      const refused = await request(limited.app).put(`${path}/answers`).send({ answers: { I_TR_1: '3' } }).expect(429);
      expect(refused.headers['retry-after']).toBeDefined();
      expect(refused.headers['cache-control']).toBe('no-store');
    } finally {
      limited.cleanup();
    }
  });
});
