import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changeSurveyStatus } from '../../server/surveys/service.js';
import { importAgencies } from '../../server/agencies/service.js';
import { importRespondents } from '../../server/respondents/service.js';
import { addStaffOfEveryRole, completeInternalAnswers, createWorld, csrfTokenOf, postLogin, signInAs, TEST_SECRET, type World } from '../helpers.js';
import { submitQuestionnaire } from '../../server/answering/service.js';

let world: World;
beforeEach(async () => {
  world = await createWorld();
  await addStaffOfEveryRole(world);
});
afterEach(() => world.cleanup());


const signIn = (email: Parameters<typeof signInAs>[1]) => signInAs(world, email);

const cookieOf = (response: request.Response) => String(response.headers['set-cookie'] ?? '').match(/integritas_staff=([^;]+)/)?.[1];

describe('staff sign-in and sessions', () => {
  it('anonymous visitors are sent to the sign-in page, then back where they wanted to go', async () => {
    await request(world.app).get('/staff/results/SPI-TEST').expect(303).expect('Location', '/staff/login?next=%2Fstaff%2Fresults%2FSPI-TEST');
    const back = await postLogin(world.app, { email: 'ADMIN@example.id', password: 'admin-password-1', next: '/staff/results/SPI-TEST' });
    expect([back.status, back.headers.location]).toEqual([303, '/staff/results/SPI-TEST']);
    // an outside address is never a place to go after signing in
    const outside = await postLogin(world.app, { email: 'admin@example.id', password: 'admin-password-1', next: 'https://evil.example/' });
    expect([outside.status, outside.headers.location]).toEqual([303, '/staff']);
  });

  it('a wrong password is refused without saying which part was wrong, and audited', async () => {
    const unknown = await postLogin(world.app, { email: 'nobody@example.id', password: 'whatever-123' });
    const wrong = await postLogin(world.app, { email: 'admin@example.id', password: 'wrong-password' });
    expect([unknown.status, wrong.status]).toEqual([401, 401]);
    expect(wrong.text).toContain('Email atau kata sandi salah.');
    const withoutToken = (html: string) => html.replace(/name="_csrf" value="[^"]+"/, '');
    expect(withoutToken(unknown.text)).toBe(withoutToken(wrong.text));
    expect(world.db.prepare(`SELECT action FROM audit_log WHERE action LIKE 'staff.sign_in%'`).pluck().all()).toEqual(['staff.sign_in_failed', 'staff.sign_in_failed']);
    expect(world.db.prepare('SELECT detail FROM audit_log').pluck().all().join()).not.toContain('wrong-password');
  });

  it('sign-in is throttled per account after repeated failures, even with the right password', async () => {
    for (let attempt = 0; attempt < 5; attempt++) expect((await postLogin(world.app, { email: 'admin@example.id', password: 'nope-nope-nope' })).status).toBe(401);
    const throttled = await postLogin(world.app, { email: 'admin@example.id', password: 'admin-password-1' });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    world.clock.advance(16 * 60 * 1000);
    expect((await postLogin(world.app, { email: 'admin@example.id', password: 'admin-password-1' })).status).toBe(303);
  });

  it('a new session id at every sign-in; the old one stops working; sign-out needs the CSRF token', async () => {
    const first = await postLogin(world.app, { email: 'admin@example.id', password: 'admin-password-1' });
    expect(first.status).toBe(303);
    const firstCookie = cookieOf(first)!;
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly/i);
    expect(String(first.headers['set-cookie'])).toMatch(/SameSite=Lax/i);
    const second = await postLogin(world.app, { email: 'admin@example.id', password: 'admin-password-1' }, `integritas_staff=${firstCookie}`);
    expect(second.status).toBe(303);
    const secondCookie = cookieOf(second)!;
    expect(secondCookie).not.toBe(firstCookie);
    await request(world.app).get('/staff').set('Cookie', `integritas_staff=${firstCookie}`).expect(303);
    const home = await request(world.app).get('/staff').set('Cookie', `integritas_staff=${secondCookie}`).expect(200);
    const csrf = csrfTokenOf(home.text);
    await request(world.app).post('/staff/logout').set('Cookie', `integritas_staff=${secondCookie}`).type('form').send({ _csrf: 'forged' }).expect(403);
    await request(world.app).get('/staff').set('Cookie', `integritas_staff=${secondCookie}`).expect(200);
    await request(world.app).post('/staff/logout').set('Cookie', `integritas_staff=${secondCookie}`).type('form').send({ _csrf: csrf }).expect(303);
    await request(world.app).get('/staff').set('Cookie', `integritas_staff=${secondCookie}`).expect(303);
    expect(world.db.prepare('SELECT password_hash FROM staff_users LIMIT 1').pluck().get()).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(world.db.prepare('SELECT COUNT(*) FROM staff_sessions WHERE id_hash = ?').pluck().get(secondCookie)).toBe(0); // only hashes are stored
  });

  it('sessions expire', async () => {
    const { agent } = await signIn('admin@example.id');
    world.clock.advance(13 * 3600 * 1000);
    await agent.get('/staff').expect(303);
  });
});

describe('who sees results', () => {
  beforeEach(() => {
    submitQuestionnaire({ db: world.db, clock: world.clock, timeZone: 'Asia/Jakarta' }, world.tokens.get('Ani')!, completeInternalAnswers());
  });

  it('while the survey is open only administrators see results, marked provisional', async () => {
    const admin = await signIn('admin@example.id');
    const page = await admin.agent.get('/staff/results/SPI-TEST').expect(200);
    expect(page.text).toContain('SEMENTARA');
    // and when the figures were computed, in the survey office's time zone
    const computed = new Intl.DateTimeFormat('id-ID', { dateStyle: 'medium', timeStyle: 'medium', timeZone: world.config.TIMEZONE }).format(world.clock.now());
    expect(page.text).toContain(`Dihitung ${computed}.`);
    const inspector = await signIn('inspektur@example.id');
    await inspector.agent.get('/staff/results/SPI-TEST').expect(403);
    await inspector.agent.get('/staff/results/SPI-TEST/agencies/PROV-A').expect(403);
    const liaison = await signIn('kota@example.id');
    await liaison.agent.get('/staff/results/SPI-TEST/agencies/KOTA-B').expect(403);
  });

  it('the ranking of a national round shows 100 agencies a page, numbered on across pages, keeping search and order', async () => {
    const codes = Array.from({ length: 120 }, (_, index) => `KAB-${String(index).padStart(3, '0')}`);
    await importAgencies(world.db, world.clock, Buffer.from('code;name;kind\n' + codes.map((code) => `${code};Kabupaten ${code};regency`).join('\n') + '\n'));
    await importRespondents(world.db, world.clock, TEST_SECRET, 'SPI-TEST', Buffer.from('agency_code,group,name,email\n' + codes.map((code, index) => `${code},internal,Orang ${index},orang${index}@example.id`).join('\n') + '\n'));
    const admin = await signIn('admin@example.id');
    const ranked = (text: string) => [...text.matchAll(/<td class="num">(\d+)<\/td><td><a href="\/staff\/results\/SPI-TEST\/agencies\/([^"]+)"/g)].map((match) => `${match[1]} ${match[2]}`);
    const first = await admin.agent.get('/staff/results/SPI-TEST?q=kabupaten&sort=name').expect(200);
    expect(ranked(first.text)).toEqual(codes.slice(0, 100).map((code, index) => `${index + 1} ${code}`));
    expect(first.text).toContain('1–100 dari 120 · halaman 1 dari 2');
    expect(first.text).toContain('<a rel="next" href="/staff/results/SPI-TEST?q=kabupaten&amp;sort=name&amp;page=2">');
    const second = await admin.agent.get('/staff/results/SPI-TEST?q=kabupaten&sort=name&page=2').expect(200);
    expect(ranked(second.text)).toEqual(codes.slice(100).map((code, index) => `${index + 101} ${code}`));
    // searching by code, a short list without a pager; nothing found says so
    const one = await admin.agent.get('/staff/results/SPI-TEST?q=kab-007').expect(200);
    expect(ranked(one.text)).toEqual(['1 KAB-007']);
    expect(one.text).not.toContain('class="pager"');
    const none = await admin.agent.get('/staff/results/SPI-TEST?q=tidak-ada').expect(200);
    expect(ranked(none.text)).toEqual([]);
    expect(none.text).toContain('Tidak ada baris yang cocok dengan saringan.');
  });

  it('once closed: inspectors see every agency, a liaison only their own, exports are not for liaisons', async () => {
    changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'closed');
    const inspector = await signIn('inspektur@example.id');
    const overview = await inspector.agent.get('/staff/results/SPI-TEST').expect(200);
    expect(overview.text).not.toContain('SEMENTARA');
    await inspector.agent.get('/staff/results/SPI-TEST/agencies/PROV-A').expect(200);
    await inspector.agent.get('/staff/results/SPI-TEST/export.csv').expect(200);
    const liaison = await signIn('kota@example.id');
    await liaison.agent.get('/staff/results/SPI-TEST').expect(303).expect('Location', '/staff/results/SPI-TEST/agencies/KOTA-B');
    await liaison.agent.get('/staff/results/SPI-TEST/agencies/KOTA-B').expect(200);
    await liaison.agent.get('/staff/results/SPI-TEST/agencies/PROV-A').expect(403);
    await liaison.agent.get('/staff/results/SPI-TEST/agencies/PROV-A/method').expect(403);
    await liaison.agent.get('/staff/results/SPI-TEST/export.json').expect(403);
  });
});

describe('results pages and exports', () => {
  it('show the index, components, dimension chart and table, the method in plain words, and export safely', async () => {
    const context = { db: world.db, clock: world.clock, timeZone: 'Asia/Jakarta' };
    // enough responses for PROV-A: internal (min 2) and external (min 2)
    world.db.prepare(`UPDATE agencies SET name = '=HYPERLINK("http://evil")' WHERE code = 'KOTA-B'`).run();
    submitQuestionnaire(context, world.tokens.get('Ani')!, completeInternalAnswers());
    submitQuestionnaire(context, world.tokens.get('Budi')!, { ...completeInternalAnswers(), I_TR_1: '1', I_TR_2: '2' });
    const { importResponses } = await import('../../server/answering/paperEntry.js');
    await importResponses(world.db, world.clock, 'Asia/Jakarta', 'SPI-TEST', Buffer.from('agency_code,group,entry_id,E_TR_1\nPROV-A,external,E1,4\nPROV-A,external,E2,3\n'));
    const { agent } = await signIn('admin@example.id');
    const page = await agent.get('/staff/results/SPI-TEST/agencies/PROV-A?lang=en').expect(200);
    expect(page.text).toMatch(/<svg class="chart"[^>]*role="img"/);
    expect(page.text).toContain('<title id="chart-title-');
    expect(page.text).toContain('Dimension scores against the national mean: Employees');
    expect(page.text).toContain('<th scope="col">Dimension</th>');
    // internal transparency: Ani (66.6667 + 100) / 2 = 83.33335, Budi (0 + 33.3333) / 2 = 16.66665 → 50.00 (n 2)
    expect(page.text).toMatch(/<td>Transparency<\/td><td class="num">50\.00<\/td><td class="num">2<\/td>/);
    const method = await agent.get('/staff/results/SPI-TEST/agencies/PROV-A/method?lang=id').expect(200); // the English chosen above is remembered otherwise
    expect(method.text).toContain('Langkah 3');
    expect(method.text).toContain('Indeks mentah = jumlah (bobot kelompok × komponen)');
    const csv = await agent.get('/staff/results/SPI-TEST/export.csv').expect(200);
    expect(csv.text).toContain(`KOTA-B,"'=HYPERLINK(""http://evil"")"`);
    const json = await agent.get('/staff/results/SPI-TEST/export.json').expect(200);
    expect(JSON.parse(json.text).agencies.find((agency: { code: string }) => agency.code === 'KOTA-B').name).toBe('=HYPERLINK("http://evil")');
    const xlsx = await agent.get('/staff/results/SPI-TEST/export.xlsx').buffer(true).parse((response, callback) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => callback(null, Buffer.concat(chunks)));
    });
    const ExcelJS = (await import('exceljs')).default;
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.body as never); // exceljs types its own Buffer
    const cell = workbook.worksheets[0]!.getRow(2).getCell(2);
    expect(cell.type).toBe(ExcelJS.ValueType.String); // a string, never a formula
    expect(world.db.prepare(`SELECT COUNT(*) FROM audit_log WHERE action = 'results.export'`).pluck().get()).toBe(3);
  });

  it('below the agency, unit scores from fewer than minCell responses are suppressed; unit counts come from invitations', async () => {
    submitQuestionnaire({ db: world.db, clock: world.clock, timeZone: 'Asia/Jakarta' }, world.tokens.get('Ani')!, completeInternalAnswers());
    const { agent } = await signIn('admin@example.id');
    const page = await agent.get('/staff/results/SPI-TEST/agencies/PROV-A').expect(200);
    const unitsSection = page.text.slice(page.text.indexOf('Per unit kerja'));
    expect(unitsSection).toMatch(/Dinas Satu<\/td><td class="num">1 \/ 1<\/td>\s*<td class="num">terlalu sedikit respons<\/td>/);
    expect(unitsSection).not.toMatch(/Dinas Satu[^]*?<td class="num">\d+,\d\d<\/td>/);
    expect(unitsSection).toMatch(/Dinas Dua<\/td><td class="num">0 \/ 1<\/td>/);
    // Budi, of Dinas Dua, withdrawn from the sample: out of the unit's count
    world.db.prepare(`UPDATE invitations SET withdrawn_at = 'now', withdrawn_reason = 'Mutasi' WHERE respondent_id = (SELECT id FROM respondents WHERE name = 'Budi')`).run();
    const after = await agent.get('/staff/results/SPI-TEST/agencies/PROV-A').expect(200);
    expect(after.text.slice(after.text.indexOf('Per unit kerja'))).toMatch(/Dinas Dua<\/td><td class="num">0 \/ 0<\/td>/);
  });
});

describe('reviewing flagged responses and corrections in the browser forms', () => {
  it('an administrator clears or excludes with a reason and adds corrections; others cannot; every action is audited', async () => {
    const context = { db: world.db, clock: world.clock, timeZone: 'Asia/Jakarta' };
    submitQuestionnaire(context, world.tokens.get('Ani')!, completeInternalAnswers()); // never opened: no duration, not a speeder
    const { importResponses } = await import('../../server/answering/paperEntry.js');
    await importResponses(world.db, world.clock, 'Asia/Jakarta', 'SPI-TEST', Buffer.from('agency_code,group,entry_id,duration_seconds,E_TR_1\nPROV-A,external,E1,10,4\n'));
    const responseId = world.db.prepare(`SELECT id FROM responses WHERE flag_speeder = 1`).pluck().get() as string;

    const inspector = await signIn('inspektur@example.id');
    await inspector.agent.get('/staff/results/SPI-TEST/review').expect(403);
    await inspector.agent.post('/staff/results/SPI-TEST/review').type('form').send({ _csrf: inspector.csrf, response: responseId, action: 'exclude', reason: 'x' }).expect(403);

    const admin = await signIn('admin@example.id');
    const page = await admin.agent.get('/staff/results/SPI-TEST/review').expect(200);
    expect(page.text).toContain('speeder (dikecualikan)');
    await admin.agent.post('/staff/results/SPI-TEST/review').type('form').send({ response: responseId, action: 'clear-flags', reason: 'x' }).expect(403); // no CSRF token
    const cleared = await admin.agent.post('/staff/results/SPI-TEST/review').type('form').send({ _csrf: admin.csrf, response: responseId, action: 'clear-flags', reason: 'Durasi formulir kertas salah catat' }).expect(200);
    expect(cleared.text).toContain('speeder (dihitung)');
    expect(world.db.prepare('SELECT flags_cleared, cleared_reason FROM responses WHERE id = ?').get(responseId)).toEqual({ flags_cleared: 1, cleared_reason: 'Durasi formulir kertas salah catat' });
    await admin.agent.post('/staff/results/SPI-TEST/review').type('form').send({ _csrf: admin.csrf, response: responseId, action: 'exclude', reason: '  ' }).expect(422);

    const badCorrection = await admin.agent.post('/staff/results/SPI-TEST/corrections').type('form').send({ _csrf: admin.csrf, agency: 'PROV-A', points: '-3', reason: 'kasus' }).expect(422);
    expect(badCorrection.text).toContain('Points must be a number above 0');
    await admin.agent.post('/staff/results/SPI-TEST/corrections').type('form').send({ _csrf: admin.csrf, agency: 'PROV-A', points: '2,5', reason: 'Kasus gratifikasi' }).expect(200);
    expect(world.db.prepare('SELECT points, reason FROM corrections').all()).toEqual([{ points: 2.5, reason: 'Kasus gratifikasi' }]);
    expect(world.db.prepare(`SELECT action FROM audit_log WHERE action IN ('response.clear-flags', 'correction.add') ORDER BY id`).pluck().all()).toEqual(['response.clear-flags', 'correction.add']);
    expect(() => world.db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
  });

  it('a national number of flagged responses is reviewed 50 at a time, by agency, and a decision keeps the page shown', async () => {
    const { importResponses } = await import('../../server/answering/paperEntry.js');
    // 70 paper forms entered in 10 s each: speeders, 60 in PROV-A and 10 in KOTA-B
    const rows = Array.from({ length: 70 }, (_, index) => `${index < 60 ? 'PROV-A' : 'KOTA-B'},external,E${String(index).padStart(2, '0')},10,4`);
    await importResponses(world.db, world.clock, 'Asia/Jakarta', 'SPI-TEST', Buffer.from('agency_code,group,entry_id,duration_seconds,E_TR_1\n' + rows.join('\n') + '\n'));
    const { agent, csrf } = await signIn('admin@example.id');
    const idsOn = (text: string) => [...text.matchAll(/name="response" value="([^"]+)"/g)].map((match) => match[1]);
    const first = await agent.get('/staff/results/SPI-TEST/review').expect(200);
    expect(first.text).toContain('Respons bertanda (70)');
    expect(idsOn(first.text)).toHaveLength(50);
    const second = await agent.get('/staff/results/SPI-TEST/review?page=2').expect(200);
    expect(idsOn(second.text)).toHaveLength(20);
    const everyFlagged = world.db.prepare(`SELECT r.id FROM responses r JOIN agencies a ON a.id = r.agency_id WHERE r.flag_speeder = 1 ORDER BY a.code, r.group_code, r.id`).pluck().all();
    expect([...idsOn(first.text), ...idsOn(second.text)]).toEqual(everyFlagged);

    const kotaB = await agent.get('/staff/results/SPI-TEST/review?agency=KOTA-B').expect(200);
    expect(kotaB.text).toContain('Respons bertanda (10)');
    expect(kotaB.text).not.toContain('class="pager"');
    expect(kotaB.text).toContain('<option value="KOTA-B" selected>');
    const provA2 = await agent.get('/staff/results/SPI-TEST/review?agency=PROV-A&page=2').expect(200);
    const target = idsOn(provA2.text)[3]!;
    expect(provA2.text).toContain('action="/staff/results/SPI-TEST/review?agency=PROV-A&amp;page=2"');
    const decided = await agent.post('/staff/results/SPI-TEST/review?agency=PROV-A&page=2').type('form').send({ _csrf: csrf, response: target, action: 'clear-flags', reason: 'Durasi salah catat' }).expect(200);
    // the same ten rows as before the decision, the decided one now counted
    expect(idsOn(decided.text)).toEqual(idsOn(provA2.text));
    expect(decided.text).toContain('51–60 dari 60 · halaman 2 dari 2');
    expect(world.db.prepare('SELECT flags_cleared FROM responses WHERE id = ?').pluck().get(target)).toBe(1);
    // an agency that is not in the survey filters nothing rather than showing an empty list
    expect(idsOn((await agent.get('/staff/results/SPI-TEST/review?agency=NOPE').expect(200)).text)).toHaveLength(50);
  });
});
