import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addStaff } from '../../server/staff/service.js';
import { testSurvey } from '../fixtures/survey.js';
import { createWorld, type World, signInStaff } from '../helpers.js';

let world: World;
beforeEach(async () => {
  world = await createWorld({ open: false });
  await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
  await addStaff(world.db, world.clock, { email: 'kota@example.id', role: 'liaison', agencyCode: 'KOTA-B', password: 'liaison-password-1' });
});
afterEach(() => world.cleanup());


describe('survey management in the browser', () => {
  it('loads a definition by upload, listing every problem by path when it is refused', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const bad = testSurvey({ code: 'SPI-NEW' }) as unknown as Record<string, any>;
    bad.groups.internal.weight = 0.9;
    bad.questionnaires.internal.pages[0].items[0].dimension = 'nope';
    const refused = await agent.post('/staff/surveys/_new/definition').field('_csrf', csrf).attach('file', Buffer.from(JSON.stringify(bad)), 'survey.json').expect(422);
    expect(refused.text).toContain('<code>questionnaires.internal.pages[0].items[0].dimension</code>: dimension &#34;nope&#34; is not defined in &#34;dimensions&#34;');
    expect(refused.text).toContain('<code>groups</code>: group weights must sum to 1');
    await agent.post('/staff/surveys/_new/definition').field('_csrf', 'forged').attach('file', Buffer.from(JSON.stringify(testSurvey({ code: 'SPI-NEW' }))), 'survey.json').expect(403);
    const loaded = await agent.post('/staff/surveys/_new/definition').field('_csrf', csrf).attach('file', Buffer.from(JSON.stringify(testSurvey({ code: 'SPI-NEW' }))), 'survey.json').expect(200);
    expect(loaded.text).toContain('Survei SPI-NEW: created (status draft, versi kuesioner 1).');
    expect(world.db.prepare(`SELECT code FROM surveys ORDER BY id`).pluck().all()).toEqual(['SPI-TEST', 'SPI-NEW']);
  });

  it('opens and closes a survey behind a confirmation and the CSRF token', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const page = await agent.get('/staff/surveys/SPI-TEST/manage').expect(200);
    expect(page.text).toContain('data-confirm="Buka survei ini?');
    await agent.post('/staff/surveys/SPI-TEST/status').type('form').send({ status: 'open' }).expect(403);
    await agent.post('/staff/surveys/SPI-TEST/status').type('form').send({ _csrf: csrf, status: 'open' }).expect(200);
    expect(world.db.prepare(`SELECT status FROM surveys WHERE code = 'SPI-TEST'`).pluck().get()).toBe('open');
    expect(world.db.prepare(`SELECT action FROM audit_log WHERE action LIKE 'survey.%'`).pluck().all()).toEqual(['survey.open']);
  });

  it('imports agencies and respondents by upload with the per-row report; a liaison only their own agency', async () => {
    const admin = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const agencies = await admin.agent.post('/staff/surveys/SPI-TEST/agencies').field('_csrf', admin.csrf).attach('file', Buffer.from('code;name;kind\nKAB-C;Kabupaten C;regency\nbad code;X;city\n'), 'agencies.csv').expect(200);
    expect(agencies.text).toContain('2 baris dibaca: 1 disimpan, 0 diperbarui, 0 duplikat, 1 ditolak.');
    expect(agencies.text).toContain('line 3, column code: &#34;bad code&#34; must be 1–40 letters');
    const refused = await admin.agent.post('/staff/surveys/SPI-TEST/agencies').field('_csrf', admin.csrf).attach('file', Buffer.from('kode,nama\nx,y\n'), 'agencies.csv').expect(422);
    expect(refused.text).toContain('Berkas ditolak seluruhnya');
    const empty = await admin.agent.post('/staff/surveys/SPI-TEST/agencies').field('_csrf', admin.csrf).expect(422);
    expect(empty.text).toContain('Choose a file to upload.');

    const liaison = await signInStaff(world.app, 'kota@example.id', 'liaison-password-1');
    await liaison.agent.post('/staff/surveys/SPI-TEST/agencies').field('_csrf', liaison.csrf).attach('file', Buffer.from('code;name;kind\nKAB-D;D;regency\n'), 'agencies.csv').expect(403);
    const respondents = await liaison.agent
      .post('/staff/surveys/SPI-TEST/respondents')
      .field('_csrf', liaison.csrf)
      .attach('file', Buffer.from('agency_code,group,name,email\nKOTA-B,internal,Hana,hana@example.id\nPROV-A,internal,Iwan,iwan@example.id\nKOTA-B,internal,Joko,joko@gmial.com\n'), 'respondents.csv')
      .expect(200);
    expect(respondents.text).toContain('line 3, column agency_code: you can only import respondents of KOTA-B');
    expect(respondents.text).toContain('<h2>Periksa (1): disimpan seperti tertulis, tetapi mungkin salah ketik</h2>');
    expect(respondents.text).toContain('line 4, column email: joko@gmial.com: did you mean joko@gmail.com? Stored as written');
    expect(world.db.prepare(`SELECT name FROM respondents WHERE name IN ('Hana', 'Iwan', 'Joko')`).pluck().all()).toEqual(['Hana', 'Joko']);
  });

  it('a file with a mistake on every line: the report shows the first 200 problems and counts the rest per column', async () => {
    const admin = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    // 5,000 rows of an agency that is not registered, 3 with a bad email too, and 2 good ones
    const rows = Array.from({ length: 5000 }, (_, index) => `KAB-X,internal,Orang ${index},${index < 3 ? 'bukan-email' : `orang${index}@example.id`}`);
    const file = 'agency_code,group,name,email\n' + rows.join('\n') + '\nKOTA-B,internal,Hana,hana@example.id\nKOTA-B,internal,Hana,hana@example.id\n';
    const report = await admin.agent.post('/staff/surveys/SPI-TEST/respondents').field('_csrf', admin.csrf).attach('file', Buffer.from(file), 'respondents.csv').expect(200);
    expect(report.text).toContain('5002 baris dibaca: 1 disimpan, 0 diperbarui, 1 duplikat, 5000 ditolak.');
    expect(report.text).toContain('Per kolom: agency_code: 5.000, email: 3.');
    expect([...report.text.matchAll(/<li>line \d+, column/g)]).toHaveLength(200 + 1); // 200 rejected lines and the one duplicate
    expect(report.text).toContain('line 2, column agency_code: no agency with code &#34;KAB-X&#34; is registered');
    expect(report.text).toContain('… dan 4.803 masalah lagi.'); // 5,003 problems: three lines have two
    expect(report.text.length).toBeLessThan(60_000);
    expect(world.db.prepare(`SELECT COUNT(*) FROM respondents WHERE name = 'Hana'`).pluck().get()).toBe(1);
  });

  it('sends invitations: count and a rendered preview (link masked) first, then queued after confirmation', async () => {
    const admin = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    await admin.agent.get('/staff/surveys/SPI-TEST/invitations').expect(409); // not open yet
    await admin.agent.post('/staff/surveys/SPI-TEST/status').type('form').send({ _csrf: admin.csrf, status: 'open' }).expect(200);
    const liaison = await signInStaff(world.app, 'kota@example.id', 'liaison-password-1');
    const preview = await liaison.agent.get('/staff/surveys/SPI-TEST/invitations').expect(200);
    expect(preview.text).toContain('1 undangan akan dikirim: 1 melalui email, 0 melalui WhatsApp.');
    expect(preview.text).toContain('Pada laju yang diatur (10 email dan 10 WhatsApp per detik), undangan ini keluar dalam kurang dari semenit, setelah pesan yang sudah antre.');
    expect(preview.text).toContain('Undangan Survei Penilaian Integritas: Kota B');
    expect(preview.text).toContain('/r/…');
    expect(preview.text).not.toContain(world.tokens.get('Gita')!);
    expect(world.db.prepare('SELECT COUNT(*) FROM messages').pluck().get()).toBe(0);
    await liaison.agent.post('/staff/surveys/SPI-TEST/invitations').type('form').send({ _csrf: liaison.csrf }).expect(303).expect('Location', '/staff/monitoring/SPI-TEST/agencies/KOTA-B?invited=1');
    expect(world.db.prepare(`SELECT r.name FROM messages m JOIN invitations i ON i.id = m.invitation_id JOIN respondents r ON r.id = i.respondent_id`).pluck().all()).toEqual(['Gita']);
    const adminPreview = await admin.agent.get('/staff/surveys/SPI-TEST/invitations').expect(200);
    expect(adminPreview.text).toContain('6 undangan akan dikirim');
  });
});

describe('how long a sending will take', () => {
  it('the confirmation says it at the configured rates, the channels side by side', async () => {
    world.cleanup();
    world = await createWorld({ env: { EMAIL_RATE_PER_SEC: '0.05', WHATSAPP_RATE_PER_SEC: '0.5' } });
    await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
    const admin = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    // 6 emails at one per 20 s: 2 minutes; beside them 1 WhatsApp at two a second
    const page = await admin.agent.get('/staff/surveys/SPI-TEST/invitations').expect(200);
    expect(page.text).toContain('7 undangan akan dikirim: 6 melalui email, 1 melalui WhatsApp');
    expect(page.text).toContain('Pada laju yang diatur (0,05 email dan 0,5 WhatsApp per detik), undangan ini keluar dalam ±2 menit');
    const english = await admin.agent.get('/staff/surveys/SPI-TEST/invitations?lang=en').expect(200);
    expect(english.text).toContain('At the configured rates (0.05 email and 0.5 WhatsApp per second), these invitations leave in about 2 min');
  });

  it('with sending hours, a sending that does not fit before the closing is done the next morning', async () => {
    world.cleanup();
    // 6 emails at one every 1,000 s take 100 min; it is 19:00 in Jakarta
    world = await createWorld({ now: '2026-08-01T12:00:00Z', env: { EMAIL_RATE_PER_SEC: '0.001', SENDING_HOURS: '07:00-20:00' } });
    await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
    const admin = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const page = await admin.agent.get('/staff/surveys/SPI-TEST/invitations').expect(200);
    // 6,000 s = 100 min: 60 min until 20:00, the other 40 from 07:00
    expect(page.text).toContain('undangan ini perlu ±1 jam 40 menit pengiriman setelah pesan yang sudah antre; karena hanya dikirim dalam jam kirim 07:00–20:00, paling cepat selesai sekitar 2026-08-02 pukul 07:40.');
  });

  it('with agencies in several zones, each agency\'s share leaves within its own hours, on the confirmation and the dashboard', async () => {
    world.cleanup();
    world = await createWorld({ now: '2026-08-01T12:00:00Z', env: { EMAIL_RATE_PER_SEC: '0.001', SENDING_HOURS: '07:00-20:00' } });
    world.db.prepare(`UPDATE agencies SET time_zone = 'Asia/Jayapura' WHERE code = 'KOTA-B'`).run();
    await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
    const admin = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    // 100 min of sending, one message in seven for Kota B in Papua, where it is already 21:00. Jakarta's
    // 85.7 min: 60 until 20:00 WIB, the other 25.7 from 07:00 WIB; Papua's 14.3 min from 07:00 WIT (05:00 WIB),
    // done before Jakarta opens. So 07:25 rather than the 07:40 of Jakarta's hours alone.
    const expected = 'paling cepat selesai sekitar 2026-08-02 pukul 07:25.';
    expect((await admin.agent.get('/staff/surveys/SPI-TEST/invitations').expect(200)).text).toContain(expected);
    await admin.agent.post('/staff/surveys/SPI-TEST/invitations').type('form').send({ _csrf: admin.csrf }).expect(303);
    const dashboard = (await admin.agent.get('/staff/monitoring/SPI-TEST').expect(200)).text;
    expect(dashboard).toContain('hanya dalam jam kirim 07:00–20:00, jadi selesai sekitar 2026-08-02 pukul 07:25.');
  });
});
