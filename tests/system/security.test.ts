import { Writable } from 'node:stream';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importAgencies } from '../../server/agencies/service.js';
import { createApp } from '../../server/app.js';
import { createDispatcher } from '../../server/invitations/delivery.js';
import { queueInvitations } from '../../server/invitations/sending.js';
import { createLogger } from '../../server/platform/logger.js';
import { importRespondents } from '../../server/respondents/service.js';
import { addStaff } from '../../server/staff/service.js';
import { SESSION_COOKIE } from '../../server/staff/http.js';
import { changeSurveyStatus } from '../../server/surveys/service.js';
import { testSurvey } from '../fixtures/survey.js';
import { completeInternalAnswers, createWorld, csrfTokenOf, postLogin, rawBody, registeredRoutes, signInStaff, TEST_SECRET, type World } from '../helpers.js';

/** Issue 7 §3: XSS on every page, CSRF on every form, session fixation, clickjacking, and tokens
 * kept out of logs and referrers. */

const SCRIPT = `<script>alert("xss")</script>`;
const ATTRIBUTE = `"><img src=x onerror=alert(1)>`;
const PAYLOAD = `${SCRIPT}${ATTRIBUTE}`;
const unescaped = /<script>alert\("xss"\)<\/script>|<img src=x onerror=alert\(1\)>/;

let world: World;
let routes: { method: string; path: string }[];

beforeAll(async () => {
  world = await createWorld({ survey: testSurvey({ title: { id: `Survei ${PAYLOAD}`, en: `Survey ${PAYLOAD}` } }) });
  await importAgencies(world.db, world.clock, Buffer.from(`code,name,kind,units\nXSS-1,"Kota ${PAYLOAD.replace(/"/g, '""')}",city,"Unit ${PAYLOAD.replace(/"/g, '""')}"\n`));
  await importRespondents(world.db, world.clock, TEST_SECRET, 'SPI-TEST', Buffer.from(`agency_code,group,name,email,unit\nXSS-1,internal,"Nama ${PAYLOAD.replace(/"/g, '""')}",xss@example.id,"Unit ${PAYLOAD.replace(/"/g, '""')}"\n`));
  await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
  // answers whose free text is hostile, then the survey closes so results are shown
  for (const name of ['Ani', 'Budi', 'Cici']) {
    await request(world.app).post(`/api/v1/respond/${world.tokens.get(name)}/submit`).send({ answers: { ...completeInternalAnswers(), I_NOTE: PAYLOAD.slice(0, 60) } }).expect(201);
  }
  routes = registeredRoutes(world.app);
});
afterAll(() => world.cleanup());

function concretePaths(path: string): string[] {
  const token = world.tokens.get('Dodi')!;
  // the respondent whose name is the payload: their contact and withdrawal pages show it
  const respondent = String(world.db.prepare(`SELECT id FROM respondents WHERE email = 'xss@example.id'`).pluck().get());
  const base = path.replace(':survey', 'SPI-TEST').replace(':code', 'XSS-1').replace(':id', '1').replace(':page', '1').replace(':token', token).replace(':respondent', respondent);
  return base.includes(':format') ? ['csv', 'json', 'xlsx'].map((format) => base.replace(':format', format)) : [base];
}

describe('cross-site scripting', () => {
  it('names, titles, units and answers with markup are escaped on every page an administrator can open, open or closed', async () => {
    const { agent } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const getRoutes = routes.filter((route) => route.method === 'get' && !route.path.includes('*'));
    expect(getRoutes.length).toBeGreaterThanOrEqual(20);
    let htmlPages = 0;
    for (const phase of ['open', 'closed'] as const) {
      if (phase === 'closed') changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'closed');
      for (const route of getRoutes) {
        for (const path of concretePaths(route.path)) {
          const response = await agent.get(path).buffer(true).parse(rawBody);
          const type = String(response.headers['content-type'] ?? '');
          const body = (response.body as Buffer).toString('utf8');
          expect({ path, status: response.status < 500 }).toEqual({ path, status: true });
          if (type.includes('text/html')) {
            htmlPages++;
            expect({ path, unescaped: unescaped.test(body) }).toEqual({ path, unescaped: false });
          } else if (body.length > 0 && response.status === 200) {
            // exports are data, never rendered as a page by the browser
            expect({ path, type }).toEqual({ path, type: expect.stringMatching(/text\/csv|application\/json|spreadsheetml|text\/css|javascript|image\/svg/) });
          }
        }
      }
      // and the payload really is on the pages, escaped (the test would pass vacuously otherwise)
      const results = await agent.get('/staff/monitoring/SPI-TEST').expect(200);
      expect(results.text).toContain('Kota &lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;');
      if (phase === 'open') {
        const respondentPaths = concretePaths('/staff/monitoring/:survey/agencies/:code/respondents/:respondent/withdraw');
        expect((await agent.get(respondentPaths[0]!).expect(200)).text).toContain('Nama &lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;');
      }
    }
    expect(htmlPages).toBeGreaterThanOrEqual(15);
    changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'open');
  });
});

describe('clickjacking, CSRF and session fixation', () => {
  it('every page forbids framing', async () => {
    for (const path of ['/', '/staff/login', `/r/${world.tokens.get('Eka')}`, `/r/${world.tokens.get('Eka')}/p/1`, '/r/unknown-token-aaaaaaaaaaa', `/api/v1/respond/${world.tokens.get('Eka')}`, '/api/v1/respond/unknown-token-aaaaaaaaaaa', '/static/app.css']) {
      const response = await request(world.app).get(path);
      expect({ path, csp: response.headers['content-security-policy'] }).toEqual({ path, csp: expect.stringContaining("frame-ancestors 'none'") });
      expect({ path, frame: response.headers['x-frame-options'] }).toEqual({ path, frame: expect.stringMatching(/DENY|SAMEORIGIN/) });
    }
  });

  it('every state-changing staff route refuses a request without the session CSRF token, changing nothing', async () => {
    const { agent } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const auditCount = () => world.db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get();
    const before = auditCount();
    const posts = routes.filter((route) => route.method === 'post' && route.path.startsWith('/staff') && route.path !== '/staff/login');
    expect(posts.length).toBeGreaterThanOrEqual(8);
    for (const route of posts) {
      for (const path of concretePaths(route.path)) {
        const missing = await agent.post(path).type('form').send({ status: 'closed', reason: 'x', email: 'new@example.id', role: 'inspector' });
        const wrong = await agent.post(path).type('form').send({ _csrf: 'forged-token', status: 'closed' });
        expect({ path, statuses: [missing.status, wrong.status] }).toEqual({ path, statuses: [403, 403] });
      }
    }
    expect(auditCount()).toBe(before);
    expect(world.db.prepare(`SELECT status FROM surveys WHERE code = 'SPI-TEST'`).pluck().get()).toBe('open');
  });

  it('the sign-in form has its own CSRF token: another site cannot sign a browser in to its account', async () => {
    // a cross-site POST carries neither the SameSite=Strict cookie nor a matching token
    const forged = await request(world.app).post('/staff/login').type('form').send({ email: 'admin@example.id', password: 'admin-password-1' });
    expect(forged.status).toBe(403);
    expect(forged.headers['set-cookie'] ?? []).not.toEqual(expect.arrayContaining([expect.stringMatching(/^integritas_staff=/)]));
    expect(forged.text).toContain('Formulir kedaluwarsa');
    const form = await request(world.app).get('/staff/login').expect(200);
    expect(String(form.headers['set-cookie'])).toMatch(/integritas_login=[^;]+;.*HttpOnly.*SameSite=Strict/i);
    const cookie = String(form.headers['set-cookie']).split(';')[0]!;
    const token = csrfTokenOf(form.text);
    // the token without its cookie, or the cookie with another token: refused
    expect((await request(world.app).post('/staff/login').type('form').send({ email: 'admin@example.id', password: 'admin-password-1', _csrf: token })).status).toBe(403);
    expect((await request(world.app).post('/staff/login').set('Cookie', cookie).type('form').send({ email: 'admin@example.id', password: 'admin-password-1', _csrf: token.slice(1) + 'x' })).status).toBe(403);
    expect((await request(world.app).post('/staff/login').set('Cookie', cookie).type('form').send({ email: 'admin@example.id', password: 'admin-password-1', _csrf: token })).status).toBe(303);
  });

  it('a session id planted before sign-in is never the one used after it, and a signed-out session is dead', async () => {
    const planted = 'attacker-chosen-session-id-0123456789';
    const login = await postLogin(world.app, { email: 'admin@example.id', password: 'admin-password-1' }, `${SESSION_COOKIE}=${planted}`);
    expect(login.status).toBe(303);
    const issued = /integritas_staff=([^;]+)/.exec(String(login.headers['set-cookie']))![1]!;
    expect(issued).not.toBe(planted);
    expect((await request(world.app).get('/staff').set('Cookie', `${SESSION_COOKIE}=${planted}`)).status).toBe(303);
    const home = await request(world.app).get('/staff').set('Cookie', `${SESSION_COOKIE}=${issued}`).expect(200);
    const csrf = csrfTokenOf(home.text);
    await request(world.app).post('/staff/logout').set('Cookie', `${SESSION_COOKIE}=${issued}`).type('form').send({ _csrf: csrf }).expect(303);
    expect((await request(world.app).get('/staff').set('Cookie', `${SESSION_COOKIE}=${issued}`)).status).toBe(303);
  });
});

describe('invitation tokens stay out of logs and referrers', () => {
  it('no token appears in any log line of a full journey, including failures, storage faults and delivery', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString('utf8'));
        callback();
      },
    });
    const logger = createLogger('debug', sink);
    const app = createApp({ config: world.config, db: world.db, clock: world.clock, secretKey: TEST_SECRET, logger });
    const token = world.tokens.get('Gita')!;
    await request(app).get(`/r/${token}`).expect(200);
    await request(app).get(`/r/${token}/p/1?lang=en`).expect(200);
    await request(app).put(`/api/v1/respond/${token}/answers`).send({ answers: { I_TR_1: 'not-an-option' } }).expect(422);
    await request(app).put(`/api/v1/respond/${token}/answers`).send({ answers: { I_TR_1: '3' } }).expect(200);
    world.db.pragma('query_only = ON');
    await request(app).post(`/api/v1/respond/${token}/submit`).send({ answers: completeInternalAnswers() }).expect(503);
    world.db.pragma('query_only = OFF');
    await request(app).post(`/api/v1/respond/${token}/submit`).send({ answers: completeInternalAnswers() }).expect(201);
    await request(app).get(`/r/${token}/thanks`);
    await request(app).get(`/r/${token}/opt-out`);
    await request(app).get(`/r/${token.slice(0, -1)}x`).expect(404);
    // delivery: invitations composed with links, written to the outbox, logged
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST' }, false);
    const dispatcher = createDispatcher(world.config, { db: world.db, clock: world.clock, logger, secretKey: TEST_SECRET });
    const summary = await dispatcher.runOnce();
    await dispatcher.stop();
    expect(summary.sent).toBeGreaterThan(0);

    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(lines.some((line) => line.includes('/r/[token]'))).toBe(true);
    const allTokens = [...world.tokens.values()];
    const leaks = lines.filter((line) => allTokens.some((candidate) => line.includes(candidate)));
    expect(leaks).toEqual([]);
  });

  it('every respondent page and API answer says Referrer-Policy: no-referrer and loads nothing from elsewhere', async () => {
    const token = world.tokens.get('Fajar')!;
    for (const path of [`/r/${token}`, `/r/${token}/p/1`, `/r/${token}/review`, `/r/${token}/opt-out`, `/api/v1/respond/${token}`, '/r/unknown-token-aaaaaaaaaaa', '/api/v1/respond/unknown-token-aaaaaaaaaaa']) {
      const response = await request(world.app).get(path);
      expect({ path, policy: response.headers['referrer-policy'] }).toEqual({ path, policy: 'no-referrer' });
      // no analytics, fonts or scripts from another origin: everything is served from here
      expect({ path, external: /(src|href)="https?:\/\//.test(response.text) }).toEqual({ path, external: false });
      expect(response.headers['content-security-policy']).toMatch(/default-src 'self'/);
    }
  });

  it('an unknown and a malformed token cannot be told apart, on the pages and the API', async () => {
    const unknown = 'A'.repeat(24);
    for (const malformed of ['short', 'x'.repeat(25), '%3Cscript%3E', "'%20OR%201=1--", 'A'.repeat(23) + '%00']) {
      for (const [base, suffix] of [['/r/', ''], ['/r/', '/p/1'], ['/api/v1/respond/', ''], ['/api/v1/respond/', '/answers']] as const) {
        const method = suffix === '/answers' ? 'put' : 'get';
        const first = await request(world.app)[method](`${base}${unknown}${suffix}`).send({ answers: {} });
        const second = await request(world.app)[method](`${base}${malformed}${suffix}`).send({ answers: {} });
        expect([second.status, second.text]).toEqual([first.status, first.text]);
        expect(first.status).toBe(404);
      }
    }
  });
});
