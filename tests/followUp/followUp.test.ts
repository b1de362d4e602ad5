import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkActionForm, isOverdue } from '../../server/followUp/actions.js';
import { changeSurveyStatus, loadSurveyDefinition } from '../../server/surveys/service.js';
import { testSurvey } from '../fixtures/survey.js';
import { importRespondents } from '../../server/respondents/service.js';
import { addStaffOfEveryRole, createWorld, csrfTokenOf, RESPONDENTS_CSV, signInAs, TEST_SECRET, type World } from '../helpers.js';

let world: World;
beforeEach(async () => {
  world = await createWorld();
  await addStaffOfEveryRole(world);
  changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'closed');
});
afterEach(() => world.cleanup());

const signIn = (email: Parameters<typeof signInAs>[1]) => signInAs(world, email);
const stored = () =>
  world.db
    .prepare('SELECT a.code AS agency, f.title, f.dimension, f.owner, f.due_on AS dueOn, f.status, f.progress, f.updated_by AS updatedBy FROM follow_up_actions f JOIN agencies a ON a.id = f.agency_id ORDER BY f.id')
    .all();
const audited = (prefix: string) => world.db.prepare(`SELECT action FROM audit_log WHERE action LIKE ? ORDER BY id`).pluck().all(`${prefix}%`);

const validForm = { title: 'Umumkan standar biaya di semua loket', dimension: 'transparency', owner: 'Dinas Tiga', due_on: '2026-10-31', status: 'planned', progress: '' };

describe('the form of a follow-up action', () => {
  it('names each field that is wrong, and types what is right', () => {
    const dimensions = ['transparency', 'procurement'];
    expect(checkActionForm({ title: 'ab', dimension: 'speed', owner: 'x'.repeat(121), dueOn: '2026-02-30', status: 'finished', progress: 'y'.repeat(1001) }, dimensions)).toEqual({
      problems: [
        { field: 'title', key: 'followup.problem_title' },
        { field: 'dimension', key: 'followup.problem_dimension' },
        { field: 'owner', key: 'followup.problem_too_long', values: { max: 120 } },
        { field: 'dueOn', key: 'followup.problem_due' },
        { field: 'status', key: 'followup.problem_status' },
        { field: 'progress', key: 'followup.problem_too_long', values: { max: 1000 } },
      ],
    });
    expect(checkActionForm({ title: 'Buka kanal pengaduan', dimension: '', owner: '', dueOn: '2026-12-31', status: 'in_progress', progress: '' }, dimensions)).toEqual({
      fields: { title: 'Buka kanal pengaduan', dimension: null, owner: null, dueOn: '2026-12-31', status: 'in_progress', progress: null },
    });
  });

  it('is overdue while open past its due day, not once done or dropped', () => {
    expect(isOverdue({ status: 'planned', dueOn: '2026-08-01' }, '2026-08-02')).toBe(true);
    expect(isOverdue({ status: 'in_progress', dueOn: '2026-08-02' }, '2026-08-02')).toBe(false);
    expect(isOverdue({ status: 'done', dueOn: '2026-08-01' }, '2026-08-02')).toBe(false);
    expect(isOverdue({ status: 'dropped', dueOn: '2026-08-01' }, '2026-08-02')).toBe(false);
  });
});

describe('follow-up actions after the results', () => {
  it('an inspector plans one on the agency page; errors come back named, in the form, with nothing stored', async () => {
    const { agent, csrf } = await signIn('inspektur@example.id');
    const empty = (await agent.get('/staff/results/SPI-TEST/agencies/KOTA-B').expect(200)).text;
    expect(empty).toContain('Belum ada tindak lanjut untuk instansi ini. Mulailah dari dimensi dengan skor terendah.');
    expect(empty).toContain('href="/staff/results/SPI-TEST/agencies/KOTA-B/actions/new"');

    await agent.get('/staff/results/SPI-TEST/agencies/KOTA-B/actions/new').expect(200);
    const refused = await agent.post('/staff/results/SPI-TEST/agencies/KOTA-B/actions').type('form').send({ ...validForm, title: ' x ', due_on: '31/10/2026', _csrf: csrf }).expect(422);
    expect(refused.text).toContain('Tindak lanjut belum disimpan.');
    expect(refused.text).toContain('<a href="#action-title">Tindakan</a>: wajib diisi, sedikitnya 3 karakter');
    expect(refused.text).toContain('<a href="#action-dueOn">Tenggat</a>: wajib diisi dengan tanggal');
    expect(refused.text).toMatch(/id="action-dueOn"[^>]*aria-invalid="true"/);
    expect(refused.text).toContain('Dinas Tiga'); // what was typed is kept
    expect(stored()).toEqual([]);

    await agent.post('/staff/results/SPI-TEST/agencies/KOTA-B/actions').type('form').send({ ...validForm, _csrf: csrf }).expect(303).expect('Location', '/staff/results/SPI-TEST/agencies/KOTA-B?action=added#follow-up');
    expect(stored()).toEqual([{ agency: 'KOTA-B', title: validForm.title, dimension: 'transparency', owner: 'Dinas Tiga', dueOn: '2026-10-31', status: 'planned', progress: null, updatedBy: 'inspektur@example.id' }]);
    const page = (await agent.get('/staff/results/SPI-TEST/agencies/KOTA-B?action=added').expect(200)).text;
    expect(page).toContain('Tindak lanjut ditambahkan.');
    expect(page).toContain(validForm.title);
    expect(page).toContain('Transparansi');
    expect(page).not.toContain('Lewat tenggat');
    expect(audited('followup.')).toEqual(['followup.added']);
  });

  it("the agency's liaison reports progress and nothing else; other agencies' actions are not theirs", async () => {
    const inspector = await signIn('inspektur@example.id');
    await inspector.agent.post('/staff/results/SPI-TEST/agencies/KOTA-B/actions').type('form').send({ ...validForm, _csrf: inspector.csrf }).expect(303);
    await inspector.agent.post('/staff/results/SPI-TEST/agencies/PROV-A/actions').type('form').send({ ...validForm, title: 'Audit pengadaan', dimension: 'procurement', _csrf: inspector.csrf }).expect(303);
    const [kotaAction, provAction] = world.db.prepare('SELECT id FROM follow_up_actions ORDER BY id').pluck().all() as number[];

    const liaison = await signIn('kota@example.id');
    const agencyPage = (await liaison.agent.get('/staff/results/SPI-TEST/agencies/KOTA-B').expect(200)).text;
    expect(agencyPage).toContain('Laporkan kemajuan');
    expect(agencyPage).not.toContain('actions/new');
    await liaison.agent.get('/staff/results/SPI-TEST/actions').expect(303).expect('Location', '/staff/results/SPI-TEST/agencies/KOTA-B#follow-up');
    const form = (await liaison.agent.get(`/staff/results/SPI-TEST/actions/${kotaAction}`).expect(200)).text;
    expect(form).toMatch(/<textarea id="action-title"[^>]* disabled>/);
    expect(form).not.toContain('/delete');
    // a form that also tries to change the title, owner and due day changes only the status and the note
    await liaison.agent
      .post(`/staff/results/SPI-TEST/actions/${kotaAction}`)
      .type('form')
      .send({ title: 'Something else', owner: 'Nobody', due_on: '2030-01-01', dimension: 'procurement', status: 'in_progress', progress: 'Papan biaya terpasang di 3 dari 5 loket', _csrf: liaison.csrf })
      .expect(303);
    expect(stored()[0]).toEqual({ agency: 'KOTA-B', title: validForm.title, owner: 'Dinas Tiga', dueOn: '2026-10-31', dimension: 'transparency', status: 'in_progress', progress: 'Papan biaya terpasang di 3 dari 5 loket', updatedBy: 'kota@example.id' });
    // a bad status is named, and the planned fields are shown as they are
    const refused = await liaison.agent.post(`/staff/results/SPI-TEST/actions/${kotaAction}`).type('form').send({ status: 'finished', progress: '', _csrf: liaison.csrf }).expect(422);
    expect(refused.text).toContain('<a href="#action-status">Status</a>: pilih salah satu status');
    expect(refused.text).toContain(`>${validForm.title}</textarea>`);

    await liaison.agent.get(`/staff/results/SPI-TEST/actions/${provAction}`).expect(403);
    await liaison.agent.post(`/staff/results/SPI-TEST/actions/${provAction}`).type('form').send({ status: 'done', _csrf: liaison.csrf }).expect(403);
    await liaison.agent.get('/staff/results/SPI-TEST/agencies/KOTA-B/actions/new').expect(403);
    await liaison.agent.post(`/staff/results/SPI-TEST/actions/${kotaAction}/delete`).type('form').send({ _csrf: liaison.csrf }).expect(403);
    expect(stored()).toHaveLength(2);
    expect(audited('followup.')).toEqual(['followup.added', 'followup.added', 'followup.changed']);
  });

  it('lists the survey\'s actions for inspectors: counts, overdue ones, filters, pages of 50 and a CSV', async () => {
    const { agent } = await signIn('admin@example.id');
    expect((await agent.get('/staff/results/SPI-TEST/actions').expect(200)).text).toContain('Belum ada tindak lanjut untuk survei ini.');
    const insert = world.db.prepare(
      `INSERT INTO follow_up_actions (survey_id, agency_id, title, due_on, status, created_by, created_at, updated_by, updated_at)
       VALUES (1, (SELECT id FROM agencies WHERE code = ?), ?, ?, ?, 'admin@example.id', '2026-08-01T00:00:00Z', 'admin@example.id', '2026-08-01T00:00:00Z')`,
    );
    // today is 2026-08-01 in Jakarta: 30 of PROV-A's are overdue, 25 are not yet due, 5 are done though late
    for (let index = 0; index < 30; index++) insert.run('PROV-A', `Terlambat ${index}`, '2026-07-01', 'planned');
    for (let index = 0; index < 25; index++) insert.run('KOTA-B', `Berjalan ${index}`, '2026-09-01', 'in_progress');
    for (let index = 0; index < 5; index++) insert.run('KOTA-B', `Selesai ${index}`, '2026-07-01', 'done');

    const first = (await agent.get('/staff/results/SPI-TEST/actions').expect(200)).text;
    expect(first).toContain('60 tindak lanjut: 30 direncanakan, 25 berjalan, 5 selesai, 0 dibatalkan; 30 lewat tenggat.');
    expect(first.match(/<tr>\s*<td><a href="\/staff\/results\/SPI-TEST\/agencies\//g)).toHaveLength(50);
    expect(first).toContain('href="/staff/results/SPI-TEST/actions?page=2"');
    const second = (await agent.get('/staff/results/SPI-TEST/actions?page=2').expect(200)).text;
    expect(second.match(/<tr>\s*<td><a href="\/staff\/results\/SPI-TEST\/agencies\//g)).toHaveLength(10);

    const overdue = (await agent.get('/staff/results/SPI-TEST/actions?status=overdue').expect(200)).text;
    expect(overdue.match(/Terlambat \d+/g)).toHaveLength(30);
    expect(overdue).not.toContain('Selesai 0');
    const kota = (await agent.get('/staff/results/SPI-TEST/actions?q=kota%20b&status=done').expect(200)).text;
    expect(kota.match(/Selesai \d+<\/a>/g)).toHaveLength(5);
    expect((await agent.get('/staff/results/SPI-TEST/actions?q=%25').expect(200)).text).toContain('Tidak ada tindak lanjut yang cocok dengan saringan ini.');
    expect((await agent.get('/staff/results/SPI-TEST/agencies/PROV-A').expect(200)).text).toContain('30 lewat tenggat');

    const csv = await agent.get('/staff/results/SPI-TEST/actions.csv').expect(200).expect('Content-Type', /text\/csv/);
    const lines = csv.text.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
    expect(lines[0]).toBe('agency_code,agency_name,dimension,title,owner,due_on,status,overdue,progress,updated_at,updated_by');
    expect(lines).toHaveLength(61);
    // the earliest due first; done late is not overdue
    expect(lines[1]).toBe('KOTA-B,Kota B,,Selesai 0,,2026-07-01,done,,,2026-08-01T00:00:00Z,admin@example.id');
    expect(lines).toContain('PROV-A,Provinsi A,,Terlambat 0,,2026-07-01,planned,ya,,2026-08-01T00:00:00Z,admin@example.id');
    expect(audited('followup.')).toEqual(['followup.export']);
  });

  it('deleting asks first; the inspector confirms, and it is gone from the page and the audit keeps its title', async () => {
    const { agent, csrf } = await signIn('inspektur@example.id');
    await agent.post('/staff/results/SPI-TEST/agencies/KOTA-B/actions').type('form').send({ ...validForm, _csrf: csrf }).expect(303);
    const id = world.db.prepare('SELECT id FROM follow_up_actions').pluck().get() as number;
    const confirm = (await agent.get(`/staff/results/SPI-TEST/actions/${id}/delete`).expect(200)).text;
    expect(confirm).toContain('Hapus tindak lanjut ini?');
    expect(confirm).toContain('ubah statusnya menjadi Dibatalkan');
    expect(stored()).toHaveLength(1); // asking deletes nothing
    await agent.post(`/staff/results/SPI-TEST/actions/${id}/delete`).type('form').send({ _csrf: csrfTokenOf(confirm) }).expect(303).expect('Location', '/staff/results/SPI-TEST/agencies/KOTA-B?action=deleted#follow-up');
    expect(stored()).toEqual([]);
    expect((await agent.get('/staff/results/SPI-TEST/agencies/KOTA-B?action=deleted').expect(200)).text).toContain('Tindak lanjut dihapus.');
    expect(JSON.parse(world.db.prepare(`SELECT detail FROM audit_log WHERE action = 'followup.deleted'`).pluck().get() as string)).toMatchObject({ agency: 'KOTA-B', title: validForm.title });
    await agent.get(`/staff/results/SPI-TEST/actions/${id}`).expect(404);
    await agent.get('/staff/results/SPI-TEST/actions/abc').expect(404);
  });

  it("says what became of the agency's actions of the previous round, to those who may see that round", async () => {
    const lastYear = loadSurveyDefinition(world.db, world.clock, testSurvey({ code: 'SPI-2025', title: { id: 'Survei 2025', en: 'Survey 2025' }, opens: '2025-07-01', closes: '2025-12-31' })).survey;
    await importRespondents(world.db, world.clock, TEST_SECRET, 'SPI-2025', Buffer.from(RESPONDENTS_CSV)); // its agencies
    const insert = world.db.prepare(
      `INSERT INTO follow_up_actions (survey_id, agency_id, title, due_on, status, created_by, created_at, updated_by, updated_at)
       VALUES (?, (SELECT id FROM agencies WHERE code = ?), ?, ?, ?, 'admin@example.id', '2025-12-01T00:00:00Z', 'admin@example.id', '2025-12-01T00:00:00Z')`,
    );
    insert.run(lastYear.id, 'KOTA-B', 'Papan biaya', '2026-03-31', 'done');
    insert.run(lastYear.id, 'KOTA-B', 'SOP pengadaan', '2026-06-30', 'in_progress');
    insert.run(lastYear.id, 'KOTA-B', 'Kanal pengaduan', '2026-03-31', 'dropped');
    insert.run(lastYear.id, 'PROV-A', 'Lain', '2026-03-31', 'planned');
    const line = 'Tindak lanjut putaran sebelumnya (Survei 2025): 3, dengan 1 selesai, 1 berjalan, 0 direncanakan, 1 dibatalkan; 1 lewat tenggat.';

    // last year's round is still a draft: an inspector may not see it, an administrator may
    const inspector = await signIn('inspektur@example.id');
    expect((await inspector.agent.get('/staff/results/SPI-TEST/agencies/KOTA-B').expect(200)).text).not.toContain('putaran sebelumnya');
    const admin = await signIn('admin@example.id');
    const adminPage = (await admin.agent.get('/staff/results/SPI-TEST/agencies/KOTA-B').expect(200)).text;
    expect(adminPage).toContain(line);
    expect(adminPage).toContain('href="/staff/results/SPI-2025/agencies/KOTA-B#follow-up"');

    changeSurveyStatus(world.db, world.clock, 'SPI-2025', 'open');
    changeSurveyStatus(world.db, world.clock, 'SPI-2025', 'closed');
    const liaison = await signIn('kota@example.id');
    expect((await liaison.agent.get('/staff/results/SPI-TEST/agencies/KOTA-B').expect(200)).text).toContain(line);
    // and last year's page does not look back at this year's
    expect((await liaison.agent.get('/staff/results/SPI-2025/agencies/KOTA-B').expect(200)).text).not.toContain('putaran sebelumnya');
  });

  it('follows who sees the results: not inspectors while the survey is open', async () => {
    changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'open');
    const inspector = await signIn('inspektur@example.id');
    await inspector.agent.get('/staff/results/SPI-TEST/actions').expect(403);
    await inspector.agent.post('/staff/results/SPI-TEST/agencies/KOTA-B/actions').type('form').send({ ...validForm, _csrf: inspector.csrf }).expect(403);
    const admin = await signIn('admin@example.id');
    await admin.agent.get('/staff/results/SPI-TEST/actions').expect(200);
    expect(stored()).toEqual([]);
  });
});

describe('the staff home', () => {
  it('points out open actions overdue or due within 14 days, to whoever sees them: a liaison their agency\'s', async () => {
    const { addAction } = await import('../../server/followUp/service.js');
    const { requireSurvey } = await import('../../server/surveys/service.js');
    const survey = requireSurvey(world.db, 'SPI-TEST');
    const agencyId = (code: string) => world.db.prepare('SELECT id FROM agencies WHERE code = ?').pluck().get(code) as number;
    // today is 2026-08-01 in Jakarta
    const action = (agency: string, dueOn: string, status: 'planned' | 'in_progress' | 'done' | 'dropped') =>
      addAction(world.db, world.clock, survey, agencyId(agency), { title: `Tindakan ${agency} ${dueOn}`, dimension: '', owner: '', dueOn, status, progress: '' }, 'admin@example.id');
    const homeOf = async (email: Parameters<typeof signInAs>[1]) => (await (await signIn(email)).agent.get('/staff').expect(200)).text;
    const line = /<a href="([^"]+)">Tindak lanjut: (\d+) lewat tenggat, (\d+) jatuh tempo dalam 14 hari<\/a>/;

    expect(await homeOf('admin@example.id')).not.toMatch(line);
    action('PROV-A', '2026-07-25', 'planned'); // overdue
    action('PROV-A', '2026-08-15', 'in_progress'); // due within 14 days, the last day counted
    action('PROV-A', '2026-08-16', 'planned'); // later
    action('PROV-A', '2026-07-01', 'done'); // overdue but done
    action('KOTA-B', '2026-07-31', 'planned'); // overdue
    expect(line.exec(await homeOf('admin@example.id'))?.slice(1)).toEqual(['/staff/results/SPI-TEST/actions?status=overdue', '2', '1']);
    expect(line.exec(await homeOf('inspektur@example.id'))?.slice(1)).toEqual(['/staff/results/SPI-TEST/actions?status=overdue', '2', '1']);
    expect(line.exec(await homeOf('kota@example.id'))?.slice(1)).toEqual(['/staff/results/SPI-TEST/agencies/KOTA-B#follow-up', '1', '0']);
    // inspectors and liaisons see results, and so actions, once the round is closed
    changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'open');
    expect(await homeOf('inspektur@example.id')).not.toMatch(line);
    expect(await homeOf('kota@example.id')).not.toMatch(line);
    expect(line.exec(await homeOf('admin@example.id'))?.slice(1, 2)).toEqual(['/staff/results/SPI-TEST/actions?status=overdue']);
    // fifteen days on: the one due on the 15th is overdue too, and the later one is due today
    world.clock.advance(15 * 86_400_000);
    expect(line.exec(await homeOf('admin@example.id'))?.slice(2)).toEqual(['3', '1']);
  });
});
