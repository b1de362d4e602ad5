import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importResponses } from '../../server/answering/paperEntry.js';
import { importRespondents } from '../../server/respondents/service.js';
import { addStaff } from '../../server/staff/service.js';
import { changeSurveyStatus } from '../../server/surveys/service.js';
import { exportLinks } from '../../server/invitations/service.js';
import { completeInternalAnswers, createWorld, rawBody, registeredRoutes, signInStaff, TEST_SECRET, type World } from '../helpers.js';

/** Issue 7 §4: after web and paper flows, nothing in the schema, the files, the pages or the
 * exports lets a response be joined to an invitation or a respondent. */

const WEB = 24;
let world: World;
const submissionOrder: string[] = []; // receipt codes in the order the server acknowledged them
const identities: string[] = []; // names, emails and tokens of everyone invited

beforeAll(async () => {
  world = await createWorld();
  const rows = Array.from({ length: WEB }, (_, index) => `PROV-A,internal,Saksi ${index},saksi${index}@example.id,${index < 3 ? 'Dinas Dua' : 'Dinas Satu'}`);
  await importRespondents(world.db, world.clock, TEST_SECRET, 'SPI-TEST', Buffer.from(`agency_code,group,name,email,unit\n${rows.join('\n')}\n`));
  const links = [...exportLinks(world.db, TEST_SECRET, world.config.PUBLIC_URL, 'SPI-TEST', {})].filter((row) => row.name.startsWith('Saksi'));
  for (const row of links) identities.push(row.name, row.email ?? '', row.link.split('/r/')[1]!);
  // web: everyone opens the questionnaire and saves a draft; then, as time moves on, they submit in turn
  for (const [index, row] of links.entries()) {
    const token = row.link.split('/r/')[1]!;
    await request(world.app).get(`/r/${token}`).expect(200);
    await request(world.app).put(`/api/v1/respond/${token}/answers`).send({ answers: { I_TR_1: String(1 + (index % 4)), I_NOTE: `catatan draf ${row.name}` } }).expect(200);
    world.clock.advance(1_000);
  }
  for (const [index, row] of links.entries()) {
    world.clock.advance(90_000 + index * 7_000);
    const token = row.link.split('/r/')[1]!;
    const submitted = await request(world.app).post(`/api/v1/respond/${token}/submit`).send({ answers: { ...completeInternalAnswers(), I_TR_1: String(1 + (index % 4)), I_NOTE: `catatan ${index}` } }).expect(201);
    submissionOrder.push(submitted.body.receipt as string);
  }
  // paper: three forms typed in later
  const paper = ['agency_code,group,unit,entry_id,duration_seconds,I_TR_1,I_TR_2,I_GATE,I_PBJ_SAME,I_PBJ_1,I_CHANNELS,I_YEARS', 'PROV-A,internal,Dinas Satu,F-1,600,3,4,no,,,wbs,5', 'PROV-A,internal,Dinas Satu,F-2,700,2,2,no,,,lapor,9', 'PROV-A,internal,,F-3,,4,3,no,,,wbs|lapor,1'].join('\n');
  const report = await importResponses(world.db, world.clock, 'Asia/Jakarta', 'SPI-TEST', Buffer.from(paper + '\n'));
  expect(report.errors).toEqual([]);
  expect(report.stored).toBe(3);
  await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
  changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'closed');
});
afterAll(() => world.cleanup());

const answerSide = ['responses', 'response_answers', 'response_scores'];
const columnsOf = (table: string) => (world.db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]);

describe('the schema', () => {
  it('answer-side tables have no column, key or foreign key that points at an invitation or a person, and no row order', () => {
    for (const table of answerSide) {
      const columns = columnsOf(table);
      expect({ table, identifying: columns.filter((column) => /invitation|respondent|token|receipt|email|phone|name|seed|_at$|time/.test(column)) }).toEqual({ table, identifying: [] });
      const foreignKeys = world.db.prepare(`SELECT "table" FROM pragma_foreign_key_list(?)`).pluck().all(table) as string[];
      expect(foreignKeys.filter((target) => ['invitations', 'respondents', 'messages'].includes(target))).toEqual([]);
      // WITHOUT ROWID: no hidden insertion counter to sort by
      expect(String(world.db.prepare(`SELECT sql FROM sqlite_master WHERE name = ?`).pluck().get(table))).toMatch(/WITHOUT ROWID/);
    }
    // exactly what DESIGN invariant 1 allows, plus the review of its quality flags
    expect(columnsOf('responses').sort()).toEqual(
      ['agency_id', 'cleared_reason', 'duration_seconds', 'entry_id', 'flag_manual', 'flag_speeder', 'flag_straightliner', 'flags_cleared', 'group_code', 'id', 'manual_reason', 'questionnaire_version', 'scored', 'source', 'submitted_on', 'survey_id', 'unit_id'].sort(),
    );
    // and the other way: nothing on the identity side points at a response
    for (const table of ['invitations', 'respondents', 'messages', 'delivery_attempts']) {
      expect({ table, pointing: columnsOf(table).filter((column) => /response/.test(column)) }).toEqual({ table, pointing: [] });
    }
  });

  it('no exact time remains on either side: responses keep the day, completed invitations only days', () => {
    const responseTexts = world.db.prepare(`SELECT submitted_on FROM responses`).pluck().all() as string[];
    for (const value of responseTexts) expect(value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const completed = world.db.prepare(`SELECT opened_at, started_at, completed_on, draft_updated_at, draft_json FROM invitations WHERE status = 'completed'`).all() as Record<string, string | null>[];
    expect(completed).toHaveLength(WEB);
    for (const row of completed) {
      expect(row.opened_at).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(row.started_at).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(row.completed_on).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(row.draft_json).toBeNull();
      expect(row.draft_updated_at).toBeNull();
    }
  });
});

describe('ids and ordering', () => {
  it('response ids are 128 random bits, and neither ids nor stored order follow the submission order', () => {
    const ids = world.db.prepare(`SELECT id FROM responses WHERE source = 'web'`).pluck().all() as string[];
    expect(ids).toHaveLength(WEB);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    // The web responses were submitted in a known order; the table (and its answers) come back in
    // id order, which must not be that order. Kendall's tau between stored position and submission
    // position: about 0 for a random order (|tau| > 0.6 has a chance below 1e-5 at n = 24).
    // (the test knows each response's position from its note, "catatan <position>")
    const notes = new Map(world.db.prepare(`SELECT response_id AS id, value_json AS note FROM response_answers WHERE item_code = 'I_NOTE'`).all().map((row) => [(row as { id: string }).id, Number(JSON.parse((row as { note: string }).note).split(' ')[1])]));
    const submittedAt = ids.map((id) => notes.get(id)!);
    expect([...submittedAt].sort((a, b) => a - b)).toEqual(Array.from({ length: WEB }, (_, index) => index));
    let concordant = 0;
    let discordant = 0;
    for (let a = 0; a < WEB; a++) for (let b = a + 1; b < WEB; b++) (submittedAt[a]! < submittedAt[b]! ? concordant++ : discordant++);
    const tau = (concordant - discordant) / (concordant + discordant);
    expect(Math.abs(tau)).toBeLessThan(0.6);
    const answerOrder = [...new Set(world.db.prepare(`SELECT response_id FROM response_answers`).pluck().all() as string[])];
    expect(answerOrder.filter((id) => ids.includes(id))).toEqual(ids); // same random id order, not arrival order
  });

  it('a receipt code is random, is stored only with its invitation, and says nothing about when or what', () => {
    for (const receipt of submissionOrder) expect(receipt).toMatch(/^[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}$/);
    expect(new Set(submissionOrder).size).toBe(WEB);
    // not sequential: sorted receipts are not the submission order
    expect([...submissionOrder].sort()).not.toEqual(submissionOrder);
    for (const table of answerSide) {
      const everything = JSON.stringify(world.db.prepare(`SELECT * FROM ${table}`).all());
      for (const receipt of submissionOrder) expect(everything).not.toContain(receipt.replace('-', ''));
      for (const receipt of submissionOrder) expect(everything).not.toContain(receipt);
    }
  });

  it('the database file holds no leftover draft beside an identity (deleted space is zeroed)', () => {
    world.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = readFileSync(world.db.name).toString('latin1');
    // every draft carried "catatan draf <name>"; the submitted notes were different
    expect(bytes).not.toContain('catatan draf');
  });
});

describe('pages and exports', () => {
  it('no page or export an administrator can open shows a respondent identity next to answers, and unit figures respect the floor', async () => {
    const { agent } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const answerPages = registeredRoutes(world.app).filter((route) => route.method === 'get' && route.path.startsWith('/staff/results'));
    expect(answerPages.length).toBeGreaterThanOrEqual(4);
    // a follow-up action, so that its pages are read too
    const actionId = world.db
      .prepare(`INSERT INTO follow_up_actions (survey_id, agency_id, title, due_on, created_by, created_at, updated_by, updated_at) VALUES (1, (SELECT id FROM agencies WHERE code = 'PROV-A'), 'Audit pengadaan', '2026-12-31', 'inspektur@example.id', '2026-08-01T00:00:00Z', 'inspektur@example.id', '2026-08-01T00:00:00Z')`)
      .run().lastInsertRowid;
    for (const route of answerPages) {
      const paths = route.path.includes(':format') ? ['csv', 'json', 'xlsx'].map((format) => route.path.replace(':format', format)) : [route.path];
      for (const template of paths) {
        const path = template.replace(':survey', 'SPI-TEST').replace(':code', 'PROV-A').replace(':id', String(actionId));
        const response = await agent.get(path).buffer(true).parse(rawBody);
        expect({ path, status: response.status }).toEqual({ path, status: 200 });
        const text = (response.body as Buffer).toString('latin1');
        for (const identity of identities.filter(Boolean)) expect({ path, leaks: text.includes(identity) }).toEqual({ path, leaks: false });
        for (const receipt of submissionOrder) expect(text).not.toContain(receipt);
      }
    }
    // Dinas Dua has 3 web responses (< PRIVACY_MIN_CELL = 5): its figures are suppressed on the agency page
    const agencyPage = await agent.get('/staff/results/SPI-TEST/agencies/PROV-A').expect(200);
    const unitRow = /<tr[^>]*>\s*<t[hd][^>]*>Dinas Dua<\/t[hd]>[\s\S]*?<\/tr>/.exec(agencyPage.text)?.[0];
    expect(unitRow).toBeDefined();
    expect(unitRow).toMatch(/terlalu sedikit respons|too few responses/);
    expect(unitRow).not.toMatch(/\d+[.,]\d{2}/); // no score with decimals in that row
  });

  it('the monitoring pages count people per unit from invitations and list non-responders, but never what anyone answered', async () => {
    const { agent } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    for (const path of ['/staff/monitoring/SPI-TEST', '/staff/monitoring/SPI-TEST/agencies/PROV-A', '/staff/monitoring/SPI-TEST/export.csv']) {
      const response = await agent.get(path).expect(200);
      expect(response.text).not.toMatch(/catatan \d+/); // no free-text answer
      for (const receipt of submissionOrder) expect(response.text).not.toContain(receipt);
      // a respondent who answered is never named (only non-responders are listed, to remind them)
      for (let index = 0; index < WEB; index++) expect(response.text).not.toContain(`saksi${index}@example.id`);
    }
  });
});

describe('migration 006', () => {
  it('cuts the exact opening times of invitations completed before it to their day, and only those', async () => {
    const { migrate } = await import('../../server/platform/db.js');
    const other = await createWorld();
    try {
      other.db.exec(`UPDATE invitations SET opened_at = '2026-07-30T08:15:42.123Z', started_at = '2026-07-30T08:16:00.000Z' WHERE id IN (1, 2)`);
      other.db.exec(`UPDATE invitations SET status = 'completed', completed_on = '2026-07-30', receipt_code = 'AAAAA-BBBBB' WHERE id = 1`);
      other.db.exec(`DELETE FROM schema_migrations WHERE version = 6`);
      expect(migrate(other.db)).toEqual(['006_completed_invitations_by_day.sql']);
      expect(other.db.prepare(`SELECT opened_at, started_at FROM invitations WHERE id IN (1, 2) ORDER BY id`).all()).toEqual([
        { opened_at: '2026-07-30', started_at: '2026-07-30' },
        { opened_at: '2026-07-30T08:15:42.123Z', started_at: '2026-07-30T08:16:00.000Z' },
      ]);
    } finally {
      other.cleanup();
    }
  });
});
