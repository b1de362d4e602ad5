import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../server/cli.js';
import { queueInvitations } from '../../server/invitations/sending.js';
import { computeResults } from '../../server/results/service.js';
import { importRespondents } from '../../server/respondents/service.js';
import { ERASURE_BATCH_SQL } from '../../server/respondents/store.js';
import { changeSurveyStatus, loadSurveyDefinition } from '../../server/surveys/service.js';
import { testSurvey } from '../fixtures/survey.js';
import { addStaffOfEveryRole, createWorld, RESPONDENTS_CSV, signInAs, TEST_SECRET, type World } from '../helpers.js';

let world: World;
beforeEach(async () => {
  world = await createWorld();
  await addStaffOfEveryRole(world);
});
afterEach(() => world.cleanup());

/** Ani and Budi answer, Cici leaves a draft, every invitation is queued, Dodi's bounced with his
 * address in the provider's text; and a second survey holds the same people. */
async function runTheRound(): Promise<void> {
  for (const name of ['Ani', 'Budi']) {
    const token = world.tokens.get(name)!;
    await request(world.app).get(`/api/v1/respond/${token}`).expect(200);
    world.clock.advance(5 * 60 * 1000);
    await request(world.app).post(`/api/v1/respond/${token}/submit`).send({ answers: { I_TR_1: '4', I_TR_2: '3', I_GATE: 'no', I_YEARS: 5 } }).expect(201);
  }
  await request(world.app).put(`/api/v1/respond/${world.tokens.get('Cici')!}/answers`).send({ answers: { I_TR_1: '2' } }).expect(200);
  await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email' }, false);
  const dodi = world.db.prepare(`SELECT m.id FROM messages m JOIN invitations i ON i.id = m.invitation_id JOIN respondents r ON r.id = i.respondent_id WHERE r.name = 'Dodi'`).pluck().get() as number;
  world.db.prepare(`UPDATE messages SET state = 'bounced', last_error = '550 5.1.1 <dodi@example.id>: Recipient address rejected' WHERE id = ?`).run(dodi);
  world.db.prepare(`INSERT INTO delivery_attempts (message_id, channel, attempted_at, outcome, detail) VALUES (?, 'email', 0, 'bounced', '550 5.1.1 <dodi@example.id>')`).run(dodi);
  loadSurveyDefinition(world.db, world.clock, { ...testSurvey(), code: 'SPI-NEXT' });
  await importRespondents(world.db, world.clock, TEST_SECRET, 'SPI-NEXT', Buffer.from(RESPONDENTS_CSV));
}

const personalData = (surveyCode: string) =>
  world.db
    .prepare(
      `SELECT r.name, r.email, r.phone, r.erased_on AS erasedOn, i.draft_json IS NOT NULL AS draft
         FROM respondents r JOIN surveys s ON s.id = r.survey_id JOIN invitations i ON i.respondent_id = r.id
        WHERE s.code = ? ORDER BY r.id`,
    )
    .all(surveyCode) as { name: string; email: string | null; phone: string | null; erasedOn: string | null; draft: number }[];

describe('erasing a closed round\'s personal data', () => {
  it('erases names, contacts, drafts and the providers\' texts after a typed confirmation; counts, results and the other round stay', async () => {
    await runTheRound();
    const admin = await signInAs(world, 'admin@example.id');
    // not while it runs
    await admin.agent.get('/staff/surveys/SPI-TEST/erase').expect(409);
    changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'closed');
    const before = computeResults(world.db, world.clock, 'SPI-TEST');
    const countsOf = (html: string) => html.match(/<td class="num">[^<]*<\/td>/g);
    const countsBefore = countsOf((await admin.agent.get('/staff/monitoring/SPI-TEST').expect(200)).text);
    expect(countsBefore?.length).toBeGreaterThan(4);

    // the staff home reminds administrators of a closed round whose personal data is kept
    expect((await admin.agent.get('/staff').expect(200)).text).toContain('Putaran ini sudah ditutup, tetapi data pribadi respondennya masih tersimpan.');
    const manage = (await admin.agent.get('/staff/surveys/SPI-TEST/manage').expect(200)).text;
    expect(manage).toContain('Nama, email, dan nomor telepon 7 responden putaran ini masih tersimpan.');
    const confirmation = (await admin.agent.get('/staff/surveys/SPI-TEST/erase').expect(200)).text;
    expect(confirmation).toContain('Yang dihapus: nama, email, dan nomor telepon 7 responden; 1 kuesioner yang sudah diisi sebagian tetapi tidak pernah dikirim');
    expect(confirmation).toContain('Ketik kode survei (SPI-TEST) untuk mengonfirmasi');

    // a wrong code: said at the field, nothing erased
    const refused = await admin.agent.post('/staff/surveys/SPI-TEST/erase').type('form').send({ _csrf: admin.csrf, confirm: 'spi-test' }).expect(422);
    expect(refused.text).toContain('Ketik kode survei persis seperti tertulis: SPI-TEST.');
    expect(refused.text).toContain('aria-invalid="true"');
    expect(personalData('SPI-TEST').filter((row) => row.email !== null)).toHaveLength(6);

    await admin.agent.post('/staff/surveys/SPI-TEST/erase').type('form').send({ _csrf: admin.csrf, confirm: 'SPI-TEST' }).expect(303).expect('Location', '/staff/surveys/SPI-TEST/manage?erased=7');
    expect(personalData('SPI-TEST')).toEqual(Array(7).fill({ name: '', email: null, phone: null, erasedOn: '2026-08-01', draft: 0 }));
    expect(world.db.prepare(`SELECT COUNT(*) FROM messages WHERE last_error IS NOT NULL`).pluck().get()).toBe(0);
    expect(world.db.prepare(`SELECT COUNT(*) FROM delivery_attempts WHERE detail IS NOT NULL`).pluck().get()).toBe(0);
    // the other round keeps its people
    expect(personalData('SPI-NEXT').map((row) => row.name)).toEqual(['Ani', 'Budi', 'Cici', 'Dodi', 'Eka', 'Fajar', 'Gita']);

    // what stays: the results and the counts
    expect(computeResults(world.db, world.clock, 'SPI-TEST').agencies).toEqual(before.agencies);
    const agencyPage = (await admin.agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200)).text;
    expect(countsOf((await admin.agent.get('/staff/monitoring/SPI-TEST').expect(200)).text)).toEqual(countsBefore);
    expect(agencyPage).toContain('Data pribadi responden putaran ini sudah dihapus pada');
    for (const name of ['Cici', 'Dodi', 'dodi@example.id']) expect(agencyPage).not.toContain(name);

    const after = (await admin.agent.get('/staff/surveys/SPI-TEST/manage?erased=7').expect(200)).text;
    expect(after).toContain('Data pribadi 7 responden telah dihapus.');
    expect(after).toContain('Data pribadi 7 responden putaran ini dihapus pada');
    expect(after).not.toContain('name="status" value="open"');
    expect((await admin.agent.get('/staff').expect(200)).text).not.toContain('data pribadi respondennya masih tersimpan');
    const audit = world.db.prepare(`SELECT actor, detail FROM audit_log WHERE action = 'respondents.erased'`).all();
    expect(audit).toEqual([{ actor: 'admin@example.id', detail: JSON.stringify({ survey: 'SPI-TEST', respondents: 7 }) }]);

    // it stays closed: refused by the page and by the database itself; and it is done once
    await admin.agent.post('/staff/surveys/SPI-TEST/status').type('form').send({ _csrf: admin.csrf, status: 'open' }).expect(409);
    expect(() => world.db.prepare(`UPDATE surveys SET status = 'open' WHERE code = 'SPI-TEST'`).run()).toThrow(/stays closed/);
    await admin.agent.post('/staff/surveys/SPI-TEST/erase').type('form').send({ _csrf: admin.csrf, confirm: 'SPI-TEST' }).expect(409);
  });

  it('is for administrators, with the session\'s CSRF token', async () => {
    changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'closed');
    for (const email of ['inspektur@example.id', 'kota@example.id'] as const) {
      const staff = await signInAs(world, email);
      await staff.agent.get('/staff/surveys/SPI-TEST/erase').expect(403);
      await staff.agent.post('/staff/surveys/SPI-TEST/erase').type('form').send({ _csrf: staff.csrf, confirm: 'SPI-TEST' }).expect(403);
    }
    const admin = await signInAs(world, 'admin@example.id');
    await admin.agent.post('/staff/surveys/SPI-TEST/erase').type('form').send({ confirm: 'SPI-TEST' }).expect(403);
    expect(personalData('SPI-TEST').filter((row) => row.erasedOn !== null)).toHaveLength(0);
  });

  it('finishes an erasure that was interrupted, which already kept the round closed', async () => {
    changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'closed');
    // as if the server stopped after the first respondent's batch
    const surveyId = world.db.prepare(`SELECT id FROM surveys WHERE code = 'SPI-TEST'`).pluck().get() as number;
    world.db.prepare(`INSERT INTO contact_erasures (survey_id, started_at, erased_by) VALUES (?, '2026-08-01T02:00:00.000Z', 'admin@example.id')`).run(surveyId);
    world.db.prepare(`UPDATE respondents SET name = '', email = NULL, phone = NULL, erased_on = '2026-08-01' WHERE id = (SELECT MIN(id) FROM respondents WHERE survey_id = ?)`).run(surveyId);
    expect(() => changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'open')).toThrow(/stays closed/);
    const admin = await signInAs(world, 'admin@example.id');
    expect((await admin.agent.get('/staff/surveys/SPI-TEST/manage').expect(200)).text).toContain('belum selesai. Jalankan lagi untuk menyelesaikannya.');
    const page = (await admin.agent.get('/staff/surveys/SPI-TEST/erase').expect(200)).text;
    expect(page).toContain('nomor telepon 6 responden');
    await admin.agent.post('/staff/surveys/SPI-TEST/erase').type('form').send({ _csrf: admin.csrf, confirm: 'SPI-TEST' }).expect(303).expect('Location', '/staff/surveys/SPI-TEST/manage?erased=6');
    expect(personalData('SPI-TEST').every((row) => row.erasedOn !== null)).toBe(true);
    expect(world.db.prepare('SELECT respondents, finished_at IS NOT NULL AS finished FROM contact_erasures').get()).toEqual({ respondents: 7, finished: 1 });
  });

  it('reads each batch by its id range, not the whole survey', () => {
    const plans = Object.fromEntries(
      Object.entries(ERASURE_BATCH_SQL).map(([name, sql]) => [
        name,
        (world.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(1, 1000, 1, ...(name === 'respondents' ? [{ day: '2026-08-01' }] : [])) as { detail: string }[]).map((step) => step.detail),
      ]),
    );
    expect(plans.respondents).toEqual(['SEARCH respondents USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)']);
    expect(plans.drafts).toEqual(['SEARCH invitations USING INDEX sqlite_autoindex_invitations_1 (respondent_id>? AND respondent_id<?)']);
    expect(plans.errorTexts).toContain('SEARCH i USING INDEX sqlite_autoindex_invitations_1 (respondent_id>? AND respondent_id<?)');
  });

  it('runs from the command line, which asks for the code twice', async () => {
    changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'closed');
    const environment = { DATABASE_PATH: world.config.DATABASE_PATH, DATA_DIR: world.config.DATA_DIR, LOG_LEVEL: 'silent' };
    let stdout = '';
    let stderr = '';
    const io = { stdout: (text: string) => (stdout += text), stderr: (text: string) => (stderr += text) };
    expect(await runCli(['respondents', 'erase', '--survey', 'SPI-TEST'], io, environment, world.clock)).toBe(2);
    expect(await runCli(['respondents', 'erase', '--survey', 'SPI-TEST', '--confirm', 'SPI-NEXT'], io, environment, world.clock)).toBe(2);
    expect(stderr).toContain('--confirm must repeat the survey code');
    expect(personalData('SPI-TEST').filter((row) => row.erasedOn !== null)).toHaveLength(0);
    expect(await runCli(['links', 'export', '--survey', 'SPI-TEST'], io, environment, world.clock)).toBe(0);
    expect(stdout).toContain('Ani');
    expect(await runCli(['respondents', 'erase', '--survey', 'SPI-TEST', '--confirm', 'SPI-TEST'], io, environment, world.clock)).toBe(0);
    expect(stdout).toContain('The personal data of 7 respondent(s) of SPI-TEST erased');
    // nobody is left to send a link to
    stdout = '';
    expect(await runCli(['links', 'export', '--survey', 'SPI-TEST'], io, environment, world.clock)).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('has been erased: its links are not exported');
    expect(personalData('SPI-TEST').every((row) => row.email === null && row.phone === null && row.name === '')).toBe(true);
    expect(world.db.prepare(`SELECT actor, detail FROM audit_log WHERE action = 'respondents.erase'`).get()).toEqual({ actor: 'cli', detail: JSON.stringify({ survey: 'SPI-TEST', confirm: 'SPI-TEST', respondents: 7 }) });
  });
});
