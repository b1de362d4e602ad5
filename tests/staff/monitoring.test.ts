import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { submitQuestionnaire } from '../../server/answering/service.js';
import { importAgencies } from '../../server/agencies/service.js';
import { importRespondents } from '../../server/respondents/service.js';
import { queueMessage } from '../../server/invitations/outboxStore.js';
import { correctContactsFromFile } from '../../server/invitations/contactUpload.js';
import { exportLinks } from '../../server/invitations/service.js';
import { optOutInvitation, queueInvitations, queueReminders } from '../../server/invitations/sending.js';
import { sharedSurveyCounts } from '../../server/monitoring/sharedCounts.js';
import { agencyGroupCounts } from '../../server/monitoring/store.js';
import { connectionReader } from '../../server/platform/readerThread.js';
import { responseRate } from '../../server/monitoring/rates.js';
import { addStaff } from '../../server/staff/service.js';
import { completeInternalAnswers, createWorld, rawBody, type World, signInStaff, TEST_SECRET } from '../helpers.js';
import { deriveInvitationToken } from '../../server/invitations/tokens.js';

let world: World;
const invitationOf = (name: string) => world.db.prepare(`SELECT i.id FROM invitations i JOIN respondents r ON r.id = i.respondent_id WHERE r.name = ?`).pluck().get(name) as number;
const setMessage = (name: string, state: string) => {
  const now = world.clock.now();
  queueMessage(world.db, { invitationId: invitationOf(name), channel: 'email', kind: 'invitation' }, now.getTime(), now.toISOString());
  world.db.prepare(`UPDATE messages SET state = ?, sent_at = ? WHERE invitation_id = ?`).run(state, now.toISOString(), invitationOf(name));
};

beforeEach(async () => {
  world = await createWorld();
  await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
  await addStaff(world.db, world.clock, { email: 'inspektur@example.id', role: 'inspector', password: 'inspector-password-1' });
  await addStaff(world.db, world.clock, { email: 'prov@example.id', role: 'liaison', agencyCode: 'PROV-A', password: 'liaison-password-1' });
  // PROV-A internal, one invitation in every state:
  setMessage('Ani', 'delivered'); // and completes
  setMessage('Budi', 'sent'); // opens and starts
  setMessage('Cici', 'failed');
  setMessage('Dodi', 'bounced');
  setMessage('Eka', 'queued'); // then opts out
  const context = { db: world.db, clock: world.clock, timeZone: 'Asia/Jakarta' };
  submitQuestionnaire(context, world.tokens.get('Ani')!, completeInternalAnswers());
  await request(world.app).put(`/api/v1/respond/${world.tokens.get('Budi')!}/answers`).send({ answers: { I_TR_1: '2' } }).expect(200);
  optOutInvitation(world.db, world.clock, invitationOf('Eka'));
  // Gita (KOTA-B) answers through a link handed out by other means: never messaged
  submitQuestionnaire(context, world.tokens.get('Gita')!, { I_TR_1: '1', I_TR_2: '1', I_GATE: 'no', I_YEARS: 2 });
});
afterEach(() => world.cleanup());


describe('monitoring figures', () => {
  it('counts every state of the fixture and computes the response rate from invitations only', async () => {
    const surveyId = world.db.prepare(`SELECT id FROM surveys`).pluck().get() as number;
    const rows = await agencyGroupCounts(connectionReader(world.db), surveyId);
    expect(rows.map(({ agencyCode, group, respondents, invited, delivered, failed, bounced, optedOut, opened, started, completed }) => ({ agencyCode, group, respondents, invited, delivered, failed, bounced, optedOut, opened, started, completed }))).toEqual([
      { agencyCode: 'KOTA-B', group: 'internal', respondents: 1, invited: 1, delivered: 0, failed: 0, bounced: 0, optedOut: 0, opened: 1, started: 1, completed: 1 },
      { agencyCode: 'PROV-A', group: 'external', respondents: 1, invited: 0, delivered: 0, failed: 0, bounced: 0, optedOut: 0, opened: 0, started: 0, completed: 0 },
      { agencyCode: 'PROV-A', group: 'internal', respondents: 5, invited: 5, delivered: 1, failed: 1, bounced: 1, optedOut: 1, opened: 2, started: 2, completed: 1 },
    ]);
    // PROV-A internal: 1 completed of (5 invited − 1 failed − 1 bounced − 1 opted out) = 1/2
    expect(responseRate(rows[2]!)).toBe(0.5);
    expect(responseRate(rows[1]!)).toBeNull();
    expect(responseRate(rows[0]!)).toBe(1);
  });

  it('costly survey-wide counts are shared between viewers for 15 s and carry the time they were counted; cheap ones stay live', async () => {
    const surveyId = world.db.prepare(`SELECT id FROM surveys`).pluck().get() as number;
    const completedInProvA = (rows: Awaited<ReturnType<typeof agencyGroupCounts>>) => rows.find((row) => row.agencyCode === 'PROV-A' && row.group === 'internal')!.completed;
    const count = (id: number) => agencyGroupCounts(connectionReader(world.db), id);
    let elapsed = 0;
    // each computation "takes" 300 ms on this stopwatch; the clock says when
    const costly = sharedSurveyCounts(count, world.clock, { elapsedMs: () => (elapsed += 300) });
    const cheap = sharedSurveyCounts(count, world.clock, { elapsedMs: () => 0 });
    const first = await costly(surveyId);
    expect(completedInProvA(first.rows)).toBe(1);
    await cheap(surveyId);
    const countedAt = world.clock.now();
    submitQuestionnaire({ db: world.db, clock: world.clock, timeZone: 'Asia/Jakarta' }, world.tokens.get('Budi')!, completeInternalAnswers());
    world.clock.advance(14_999);
    const shared = await costly(surveyId);
    expect(completedInProvA(shared.rows)).toBe(1);
    expect(shared.countedAt).toEqual(countedAt);
    expect(completedInProvA((await cheap(surveyId)).rows)).toBe(2);
    world.clock.advance(1);
    const recounted = await costly(surveyId);
    expect(completedInProvA(recounted.rows)).toBe(2);
    expect(recounted.countedAt).toEqual(world.clock.now());
  });

  it('viewers arriving while the counts run wait for that count instead of starting another', async () => {
    const surveyId = world.db.prepare(`SELECT id FROM surveys`).pluck().get() as number;
    let counts = 0;
    let finish!: () => void;
    const shared = sharedSurveyCounts(
      (id) => {
        counts++;
        return new Promise((resolve) => (finish = () => resolve(agencyGroupCounts(connectionReader(world.db), id))));
      },
      world.clock,
    );
    const viewers = [shared(surveyId), shared(surveyId), shared(surveyId)];
    expect(counts).toBe(1);
    finish();
    const seen = await Promise.all(viewers);
    expect(seen[1]).toBe(seen[0]);
    expect(seen[2]).toBe(seen[0]);
    // a fast count is not kept: the next viewer counts again
    const next = shared(surveyId);
    expect(counts).toBe(2);
    finish();
    await next;
  });

  it('the dashboard shows them, sorts by the lowest rate, filters, and exports; it refreshes itself', async () => {
    const { agent } = await signInStaff(world.app, 'inspektur@example.id', 'inspector-password-1');
    const page = await agent.get('/staff/monitoring/SPI-TEST?lang=en').expect(200);
    expect(page.text).toContain('<noscript><meta http-equiv="refresh" content="30"></noscript>');
    expect(page.text).toContain('/static/refresh.js');
    const order = [...page.text.matchAll(/data-row="([^"]+)"/g)].map((match) => match[1]);
    expect(order).toEqual(['PROV-A/external', 'PROV-A/internal', 'KOTA-B/internal']);
    expect(page.text).toMatch(/data-row="PROV-A\/internal">[^]*?<td class="num" data-rate>50%<\/td>/);
    const filtered = await agent.get('/staff/monitoring/SPI-TEST?below=60&kind=province').expect(200);
    // below 60 %: internal (50 %) and external (nobody reachable yet counts as 0 %)
    expect([...filtered.text.matchAll(/data-row="([^"]+)"/g)].map((match) => match[1])).toEqual(['PROV-A/external', 'PROV-A/internal']);
    const searched = await agent.get('/staff/monitoring/SPI-TEST?q=kota').expect(200);
    expect([...searched.text.matchAll(/data-row="([^"]+)"/g)].map((match) => match[1])).toEqual(['KOTA-B/internal']);
    const csv = await agent.get('/staff/monitoring/SPI-TEST/export.csv').expect(200);
    expect(csv.text).toContain('agency,name,group,respondents,invited,delivered,failed,bounced,opted_out,withdrawn,opened,started,completed,response_rate,min_responses');
    expect(csv.text).toContain('PROV-A,Provinsi A,internal,5,5,1,1,1,1,0,2,2,1,0.5,2');
  });

  it('the drill-down lists non-responders (names and channels, never answers) and per unit counts from invitations', async () => {
    const { agent } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    await agent.get('/staff/monitoring/SPI-TEST').expect(303).expect('Location', '/staff/monitoring/SPI-TEST/agencies/PROV-A');
    const page = await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200);
    expect(page.text).toContain('Belum mengisi (5)');
    expect(page.text).toContain('budi@example.id · +6281234567001');
    expect(page.text).not.toContain('>Ani<');
    expect(page.text).not.toMatch(/I_TR_1|"2"/);
    expect(page.text).toMatch(/<td>Dinas Satu<\/td><td class="num">1<\/td><td class="num">1<\/td><td class="num">1<\/td>/);
    await agent.get('/staff/monitoring/SPI-TEST/agencies/KOTA-B').expect(403);
    await agent.get('/staff/monitoring/SPI-TEST/export.csv').expect(403);
  });

  it('send reminders: count and preview first, confirmation, then queued and audited; inspectors cannot', async () => {
    world.clock.advance(2 * 24 * 3600 * 1000);
    const inspector = await signInStaff(world.app, 'inspektur@example.id', 'inspector-password-1');
    await inspector.agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A/reminders').expect(403);
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    const confirm = await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A/reminders').expect(200);
    // Budi only: Ani answered, Cici and Dodi were never reached, Eka opted out
    expect(confirm.text).toContain('1 responden akan menerima pengingat');
    expect(confirm.text).toContain('Pada laju yang diatur (10 email dan 10 WhatsApp per detik), pengingat ini keluar dalam kurang dari semenit, setelah pesan yang sudah antre.');
    expect(confirm.text).toContain('Reminder: Integrity Assessment Survey of Provinsi A'); // in Budi's language
    expect(confirm.text).toContain('/r/…');
    expect(confirm.text).not.toContain(world.tokens.get('Budi')!);
    expect(world.db.prepare(`SELECT COUNT(*) FROM messages WHERE kind = 'reminder'`).pluck().get()).toBe(0);
    await agent.post('/staff/monitoring/SPI-TEST/agencies/PROV-A/reminders').type('form').send({ _csrf: 'forged' }).expect(403);
    await agent.post('/staff/monitoring/SPI-TEST/agencies/PROV-A/reminders').type('form').send({ _csrf: csrf }).expect(303).expect('Location', '/staff/monitoring/SPI-TEST/agencies/PROV-A?queued=1');
    expect(world.db.prepare(`SELECT r.name FROM messages m JOIN invitations i ON i.id = m.invitation_id JOIN respondents r ON r.id = i.respondent_id WHERE m.kind = 'reminder'`).pluck().all()).toEqual(['Budi']);
    expect(world.db.prepare(`SELECT detail FROM audit_log WHERE action = 'reminders.send'`).pluck().get()).toBe('{"survey":"SPI-TEST","agency":"PROV-A","queued":1}');
  });

  it('a large agency\'s non-responders come a page at a time, each person once, in a stable order', async () => {
    const names = Array.from({ length: 230 }, (_, index) => `Warga ${String(index).padStart(3, '0')}`);
    await importRespondents(world.db, world.clock, TEST_SECRET, 'SPI-TEST', Buffer.from('agency_code,group,name,email\n' + names.map((name, index) => `KOTA-B,internal,${name},warga${index}@example.id`).join('\n') + '\n'));
    const { agent } = await signInStaff(world.app, 'inspektur@example.id', 'inspector-password-1');
    const shownOn = async (query: string) => {
      const page = await agent.get(`/staff/monitoring/SPI-TEST/agencies/KOTA-B${query}`).expect(200);
      return { text: page.text, names: [...page.text.matchAll(/<tr><td>(Warga \d+)<\/td>/g)].map((match) => match[1]) };
    };
    const first = await shownOn('');
    expect(first.text).toContain('Belum mengisi (230)'); // Gita answered
    expect(first.names).toHaveLength(100);
    expect(first.text).toContain('1–100 dari 230 · halaman 1 dari 3');
    expect(first.text).toContain('<a rel="next" href="/staff/monitoring/SPI-TEST/agencies/KOTA-B?page=2">');
    const second = await shownOn('?page=2');
    const third = await shownOn('?page=3');
    expect(third.text).toContain('201–230 dari 230 · halaman 3 dari 3');
    expect(third.text).not.toContain('rel="next"');
    expect([...first.names, ...second.names, ...third.names]).toEqual(names);
    // a page that no longer exists (people answered since the link was made): the last one
    expect((await shownOn('?page=9')).names).toEqual(third.names);
    expect((await shownOn('?page=abc')).names).toEqual(first.names);
  });

  it('the dashboard of a national round shows 100 rows a page, keeping its filters and order across pages', async () => {
    const codes = Array.from({ length: 120 }, (_, index) => `KAB-${String(index).padStart(3, '0')}`);
    await importAgencies(world.db, world.clock, Buffer.from('code;name;kind\n' + codes.map((code) => `${code};Kabupaten ${code};regency`).join('\n') + '\n'));
    await importRespondents(world.db, world.clock, TEST_SECRET, 'SPI-TEST', Buffer.from('agency_code,group,name,email\n' + codes.map((code, index) => `${code},internal,Orang ${index},orang${index}@example.id`).join('\n') + '\n'));
    const { agent } = await signInStaff(world.app, 'inspektur@example.id', 'inspector-password-1');
    const rowsOf = (text: string) => [...text.matchAll(/data-row="([^"]+)"/g)].map((match) => match[1]);
    const first = await agent.get('/staff/monitoring/SPI-TEST?sort=name&q=kabupaten').expect(200);
    expect(rowsOf(first.text)).toEqual(codes.slice(0, 100).map((code) => `${code}/internal`));
    expect(first.text).toContain('<a rel="next" href="/staff/monitoring/SPI-TEST?q=kabupaten&amp;sort=name&amp;page=2">');
    const second = await agent.get('/staff/monitoring/SPI-TEST?q=kabupaten&sort=name&page=2').expect(200);
    expect(rowsOf(second.text)).toEqual(codes.slice(100).map((code) => `${code}/internal`));
    expect(second.text).toContain('101–120 dari 120 · halaman 2 dari 2');
    // a short list has no pager at all
    const short = await agent.get('/staff/monitoring/SPI-TEST?q=prov').expect(200);
    expect(short.text).not.toContain('class="pager"');
  });
});

describe('correcting the contact of someone whose invitation failed or bounced', () => {
  const respondentIdOf = (name: string) => world.db.prepare(`SELECT id FROM respondents WHERE name = ?`).pluck().get(name) as number;
  const contactPath = (name: string, agency = 'PROV-A') => `/staff/monitoring/SPI-TEST/agencies/${agency}/respondents/${respondentIdOf(name)}/contact`;
  const contactOf = (name: string) => world.db.prepare(`SELECT email, phone FROM respondents WHERE name = ?`).get(name);
  const messagesOf = (name: string) =>
    world.db.prepare(`SELECT channel, kind, state, attempts, last_error AS lastError FROM messages WHERE invitation_id = ? ORDER BY id`).all(invitationOf(name));

  it('the liaison sees the link beside those not answered nor opted out whose link left no one, corrects a bounced email and the same invitation is queued again', async () => {
    world.db.prepare(`UPDATE messages SET attempts = 1, last_error = '550 5.1.1 <dodi@example.id>: mailbox unavailable' WHERE invitation_id = ?`).run(invitationOf('Dodi'));
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    const page = await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200);
    const links = [...page.text.matchAll(/respondents\/(\d+)\/contact/g)].map((match) => Number(match[1]));
    // Fajar was never sent anything, Cici's failed, Dodi's bounced; Budi's was sent (administrators only), Eka opted out
    expect(links).toEqual([respondentIdOf('Fajar'), respondentIdOf('Cici'), respondentIdOf('Dodi')]);
    const form = await agent.get(contactPath('Dodi')).expect(200);
    expect(form.text).toContain('mailbox unavailable');
    expect(form.text).toContain('value="dodi@example.id"');
    await agent.post(contactPath('Dodi')).type('form').send({ _csrf: csrf, email: ' Dodi.Baru@Example.id ', phone: '' }).expect(303).expect('Location', '/staff/monitoring/SPI-TEST/agencies/PROV-A?resent=email');
    expect(contactOf('Dodi')).toEqual({ email: 'dodi.baru@example.id', phone: null });
    // the bounced message itself is queued afresh: still one invitation per channel
    expect(messagesOf('Dodi')).toEqual([{ channel: 'email', kind: 'invitation', state: 'queued', attempts: 0, lastError: null }]);
    const after = await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A?resent=email').expect(200);
    expect(after.text).toContain('Kontak diperbaiki; undangan masuk antrean lewat email.');
    const audit = world.db.prepare(`SELECT actor, detail FROM audit_log WHERE action = 'respondent.contact_corrected'`).all() as { actor: string; detail: string }[];
    expect(audit).toEqual([{ actor: 'prov@example.id', detail: JSON.stringify({ survey: 'SPI-TEST', agency: 'PROV-A', respondent: respondentIdOf('Dodi'), channel: 'email', linkReplaced: false }) }]);
  });

  it('the list offers a correction exactly when the form would, for a message leaving right now or one only cancelled too', async () => {
    world.db.prepare(`UPDATE messages SET state = 'sending' WHERE invitation_id = ?`).run(invitationOf('Cici'));
    world.db.prepare(`UPDATE messages SET state = 'cancelled' WHERE invitation_id = ?`).run(invitationOf('Dodi'));
    const { agent } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    const page = await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200);
    expect([...page.text.matchAll(/respondents\/(\d+)\/contact/g)].map((match) => Number(match[1]))).toEqual([respondentIdOf('Fajar'), respondentIdOf('Dodi')]);
    // Cici's message may be reaching her as we speak: her link is the administrators' to replace
    expect((await agent.get(contactPath('Cici')).expect(200)).text).toContain('Hanya administrator yang dapat mencabutnya');
    expect((await agent.get(contactPath('Dodi')).expect(200)).text).toContain('belum sampai ke siapa pun');
  });

  it('the non-responders can be narrowed to those whose invitation failed or bounced', async () => {
    const { agent } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    const namesOn = (text: string) => [...text.matchAll(/<tr><td>([^<]+)<\/td><td>/g)].map((match) => match[1]);
    const all = await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200);
    expect(namesOn(all.text)).toEqual(['Fajar', 'Cici', 'Dodi', 'Eka', 'Budi']);
    const undelivered = await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A?show=undelivered').expect(200);
    expect(namesOn(undelivered.text)).toEqual(['Cici', 'Dodi']);
    expect(undelivered.text).toContain('Belum mengisi (2)');
    expect(undelivered.text).toContain('<option value="undelivered" selected>');
    // once both are corrected and queued again, none is left to show
    world.db.prepare(`UPDATE messages SET state = 'queued' WHERE invitation_id IN (?, ?)`).run(invitationOf('Cici'), invitationOf('Dodi'));
    const none = await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A?show=undelivered').expect(200);
    expect(namesOn(none.text)).toEqual([]);
    expect(none.text).toContain('Tidak ada undangan yang gagal atau ditolak');
  });

  it('the liaison downloads the failed and bounced invitations with their errors and where to correct each; audited', async () => {
    world.db.prepare(`UPDATE messages SET last_error = '550 5.1.1 mailbox unavailable' WHERE invitation_id = ?`).run(invitationOf('Dodi'));
    const { agent } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    expect((await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200)).text).toContain('href="/staff/monitoring/SPI-TEST/agencies/PROV-A/undelivered.csv"');
    const csv = await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A/undelivered.csv').expect(200).expect('Content-Type', /text\/csv/);
    const correctAt = (name: string) => `http://integritas.test/staff/monitoring/SPI-TEST/agencies/PROV-A/respondents/${respondentIdOf(name)}/contact`;
    expect(csv.text.replace(/^\uFEFF/, '').trim().split(/\r?\n/)).toEqual([
      'respondent_id,name,group,unit,email,phone,delivery,last_error,correct_at',
      `${respondentIdOf('Cici')},Cici,Pegawai,,cici@example.id,,gagal,,${correctAt('Cici')}`,
      `${respondentIdOf('Dodi')},Dodi,Pegawai,,dodi@example.id,,ditolak,550 5.1.1 mailbox unavailable,${correctAt('Dodi')}`,
    ]);
    expect(world.db.prepare(`SELECT detail FROM audit_log WHERE action = 'monitoring.undelivered_export'`).pluck().all()).toEqual([JSON.stringify({ survey: 'SPI-TEST', agency: 'PROV-A', format: 'csv', rows: 2 })]);
    // not another agency's, and not for inspectors
    await agent.get('/staff/monitoring/SPI-TEST/agencies/KOTA-B/undelivered.csv').expect(403);
    await (await signInStaff(world.app, 'inspektur@example.id', 'inspector-password-1')).agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A/undelivered.csv').expect(403);
  });

  it('a long list of failed invitations pages with the filter kept in the pager\'s links', async () => {
    const names = Array.from({ length: 240 }, (_, index) => `Warga ${String(index).padStart(3, '0')}`);
    await importRespondents(world.db, world.clock, TEST_SECRET, 'SPI-TEST', Buffer.from('agency_code,group,name,email\n' + names.map((name, index) => `KOTA-B,internal,${name},warga${index}@example.id`).join('\n') + '\n'));
    const now = world.clock.now();
    names.forEach((name, index) => {
      queueMessage(world.db, { invitationId: invitationOf(name), channel: 'email', kind: 'invitation' }, now.getTime(), now.toISOString());
      // every other one failed; the rest were delivered
      world.db.prepare(`UPDATE messages SET state = ? WHERE invitation_id = ?`).run(index % 2 === 0 ? 'failed' : 'delivered', invitationOf(name));
    });
    const { agent } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const first = await agent.get('/staff/monitoring/SPI-TEST/agencies/KOTA-B?show=undelivered').expect(200);
    expect(first.text).toContain('Belum mengisi (120)');
    expect(first.text).toContain('<a rel="next" href="/staff/monitoring/SPI-TEST/agencies/KOTA-B?show=undelivered&amp;page=2">');
    const second = await agent.get('/staff/monitoring/SPI-TEST/agencies/KOTA-B?show=undelivered&page=2').expect(200);
    expect([...second.text.matchAll(/<tr><td>(Warga \d+)<\/td>/g)].map((match) => match[1])).toEqual(names.filter((_, index) => index % 2 === 0).slice(100));
  });

  it('finds the one person to act on by name, email or phone as typed, keeping the search across pages', async () => {
    const names = Array.from({ length: 240 }, (_, index) => `Warga ${String(index).padStart(3, '0')}`);
    await importRespondents(world.db, world.clock, TEST_SECRET, 'SPI-TEST', Buffer.from('agency_code,group,name,email\n' + names.map((name, index) => `PROV-A,internal,${name},warga${index}@example.id`).join('\n') + '\n'));
    const { agent } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    const namesFor = async (query: string) => {
      const page = await agent.get(`/staff/monitoring/SPI-TEST/agencies/PROV-A?${query}`).expect(200);
      return [...page.text.matchAll(/<tr><td>([^<]+)<\/td><td>/g)].map((match) => match[1]);
    };
    expect(await namesFor('q=warga%20117')).toEqual(['Warga 117']);
    expect(await namesFor('q=WARGA12%40')).toEqual(['Warga 012']); // the email warga12@…, whatever the case
    expect(await namesFor(`q=${encodeURIComponent('0812-3456-7001')}`)).toEqual(['Budi']); // stored as +6281234567001
    expect(await namesFor('q=%25')).toEqual([]); // a % is a character, not "anything"
    expect((await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A?q=nobody').expect(200)).text).toContain('Tidak ada yang belum mengisi yang cocok dengan pencarian ini.');
    // with the undelivered filter too; and 200 of the 240 through the pager, which keeps the search
    expect(await namesFor('q=dodi&show=undelivered')).toEqual(['Dodi']);
    const first = await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A?q=warga%201').expect(200);
    expect(first.text).toContain('Belum mengisi (100)');
    const many = await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A?q=warga').expect(200);
    expect(many.text).toContain('Belum mengisi (240)');
    expect(many.text).toContain('href="/staff/monitoring/SPI-TEST/agencies/PROV-A?q=warga&amp;page=2"');
    expect(many.text).toContain('value="warga"');
  });

  it('before any message, a correction only stores the contact; with messages still queued, they follow the new contact', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    const form = await agent.get(contactPath('Fajar')).expect(200);
    expect(form.text).toContain('Belum ada undangan yang dikirim ke responden ini');
    await agent.post(contactPath('Fajar')).type('form').send({ _csrf: csrf, email: '', phone: '0812 3456 7088' }).expect(303).expect('Location', '/staff/monitoring/SPI-TEST/agencies/PROV-A?saved=contact');
    expect(contactOf('Fajar')).toEqual({ email: null, phone: '+6281234567088' });
    expect(messagesOf('Fajar')).toEqual([]);
    // now queued by WhatsApp, then corrected to an email only: the WhatsApp message is cancelled, an email queued
    const now = world.clock.now();
    queueMessage(world.db, { invitationId: invitationOf('Fajar'), channel: 'whatsapp', kind: 'invitation' }, now.getTime(), now.toISOString());
    expect((await agent.get(contactPath('Fajar')).expect(200)).text).toContain('masih antre');
    await agent.post(contactPath('Fajar')).type('form').send({ _csrf: csrf, email: 'fajar@example.id', phone: '' }).expect(303).expect('Location', '/staff/monitoring/SPI-TEST/agencies/PROV-A?resent=email');
    expect(messagesOf('Fajar')).toEqual([
      { channel: 'whatsapp', kind: 'invitation', state: 'cancelled', attempts: 0, lastError: 'contact corrected' },
      { channel: 'email', kind: 'invitation', state: 'queued', attempts: 0, lastError: null },
    ]);
  });

  it('a phone instead of a failed email goes by WhatsApp, as a new message beside the failed one', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    await agent.post(contactPath('Cici')).type('form').send({ _csrf: csrf, email: '', phone: '0812 3456 7099' }).expect(303).expect('Location', '/staff/monitoring/SPI-TEST/agencies/PROV-A?resent=whatsapp');
    expect(contactOf('Cici')).toEqual({ email: null, phone: '+6281234567099' });
    expect(messagesOf('Cici')).toEqual([
      { channel: 'email', kind: 'invitation', state: 'failed', attempts: 0, lastError: null },
      { channel: 'whatsapp', kind: 'invitation', state: 'queued', attempts: 0, lastError: null },
    ]);
  });

  it('refuses bad input with 422 naming the field, and changes nothing', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    const before = { contact: contactOf('Dodi'), messages: messagesOf('Dodi') };
    const refused = async (fields: Record<string, string>) => (await agent.post(contactPath('Dodi')).type('form').send({ _csrf: csrf, ...fields }).expect(422)).text;
    expect(await refused({ email: 'bukan-email', phone: '' })).toContain('&#34;bukan-email&#34; is not a valid email address');
    expect(await refused({ email: 'ani@example.id', phone: '' })).toContain('this email is already registered for PROV-A in this survey');
    expect(await refused({ email: '', phone: '0812 3456 7001' })).toContain('this phone is already registered for PROV-A in this survey');
    const badPhone = await refused({ email: '', phone: '12' });
    expect(badPhone).toContain('aria-invalid="true"');
    expect(badPhone).toContain('id="contact-phone-error"');
    expect(await refused({ email: ' ', phone: '' })).toContain('an email or a phone number is required');
    expect({ contact: contactOf('Dodi'), messages: messagesOf('Dodi') }).toEqual(before);
    // a forged form changes nothing either
    await agent.post(contactPath('Dodi')).type('form').send({ _csrf: 'forged', email: 'x@example.id' }).expect(403);
    expect(contactOf('Dodi')).toEqual(before.contact);
  });

  it('only for someone sent an invitation who has not answered or opted out, in an open survey, by the agency\'s own staff; a link that left is the administrators\'', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    for (const name of ['Eka', 'Ani']) {
      const form = await agent.get(contactPath(name)).expect(200);
      expect(form.text).toContain('Kontak ini tidak dapat diperbaiki di sini');
      expect(form.text).not.toContain('name="email"');
      await agent.post(contactPath(name)).type('form').send({ _csrf: csrf, email: 'baru@example.id' }).expect(409);
    }
    // Budi's invitation was sent and he started: only an administrator may replace his link
    const budi = await agent.get(contactPath('Budi')).expect(200);
    expect(budi.text).toContain('Hanya administrator yang dapat mencabutnya');
    expect(budi.text).not.toContain('name="email"');
    await agent.post(contactPath('Budi')).type('form').send({ _csrf: csrf, email: 'baru@example.id', confirm: 'yes' }).expect(409);
    expect(contactOf('Budi')).toEqual({ email: 'budi@example.id', phone: '+6281234567001' });
    // another agency's respondent: not the liaison's; under the wrong agency: not found
    await agent.get(contactPath('Gita', 'KOTA-B')).expect(403);
    await agent.get(contactPath('Gita')).expect(404);
    await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A/respondents/abc/contact').expect(404);
    const inspector = await signInStaff(world.app, 'inspektur@example.id', 'inspector-password-1');
    await inspector.agent.get(contactPath('Dodi')).expect(403);
    const page = await inspector.agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200);
    expect(page.text).not.toContain('/contact"');
    // a closed survey sends nothing
    world.db.prepare(`UPDATE surveys SET status = 'closed'`).run();
    await agent.post(contactPath('Dodi')).type('form').send({ _csrf: csrf, email: 'dodi.baru@example.id' }).expect(422);
    expect(contactOf('Dodi')).toEqual({ email: 'dodi@example.id', phone: null });
  });
});

describe('uploading the undelivered list back with corrected contacts', () => {
  const respondentIdOf = (name: string) => world.db.prepare(`SELECT id FROM respondents WHERE name = ?`).pluck().get(name) as number;
  const contactOf = (name: string) => world.db.prepare(`SELECT email, phone FROM respondents WHERE name = ?`).get(name);
  const messagesOf = (name: string) => world.db.prepare(`SELECT channel, state FROM messages WHERE invitation_id = ? ORDER BY id`).all(invitationOf(name));
  const uploadPath = '/staff/monitoring/SPI-TEST/agencies/PROV-A/contacts';
  const everything = () => ({
    respondents: world.db.prepare(`SELECT id, email, phone FROM respondents ORDER BY id`).all(),
    messages: world.db.prepare(`SELECT * FROM messages ORDER BY id`).all(),
    invitations: world.db.prepare(`SELECT * FROM invitations ORDER BY id`).all(),
  });

  it('the liaison corrects the downloaded list in a spreadsheet and uploads it: each invitation goes again to its new contact, once however often the file is sent', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    expect((await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200)).text).toContain(`href="${uploadPath}"`);
    const form = await agent.get(uploadPath).expect(200);
    expect(form.text).toContain('enctype="multipart/form-data" data-upload');
    expect(form.text).toContain('Jangan ubah kolom respondent_id');
    const downloaded = (await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A/undelivered.csv').expect(200)).text;
    // in the spreadsheet: Cici gets a new email, Dodi a phone instead of the bounced email; saved with ';' as Indonesian Excel does
    const corrected = downloaded
      .replace('cici@example.id,', 'cici.benar@example.id,')
      .replace('dodi@example.id,', ',0812-3456-7055')
      .replace(/,(?=[^\n]*\n?)/g, ';');
    const uploaded = await agent.post(uploadPath).field('_csrf', csrf).attach('file', Buffer.from(corrected), 'undelivered.csv').expect(200);
    expect(uploaded.text).toContain('2 baris dibaca: 2 undangan dikirim ulang, 0 kontak disimpan (undangannya belum pernah dikirim), 0 tidak berubah, 0 ditolak.');
    expect(contactOf('Cici')).toEqual({ email: 'cici.benar@example.id', phone: null });
    expect(contactOf('Dodi')).toEqual({ email: null, phone: '+6281234567055' });
    // Cici's failed email is queued afresh; Dodi's bounced email stays as it was, a WhatsApp message beside it
    expect(messagesOf('Cici')).toEqual([{ channel: 'email', state: 'queued' }]);
    expect(messagesOf('Dodi')).toEqual([
      { channel: 'email', state: 'bounced' },
      { channel: 'whatsapp', state: 'queued' },
    ]);
    const before = everything();
    const again = await agent.post(uploadPath).field('_csrf', csrf).attach('file', Buffer.from(corrected), 'undelivered.csv').expect(200);
    expect(again.text).toContain('2 baris dibaca: 0 undangan dikirim ulang, 0 kontak disimpan (undangannya belum pernah dikirim), 2 tidak berubah, 0 ditolak.');
    expect(everything()).toEqual(before);
    const audit = world.db.prepare(`SELECT actor, detail FROM audit_log WHERE action = 'respondent.contacts_uploaded' ORDER BY id`).all() as { actor: string; detail: string }[];
    expect(audit.map((entry) => ({ actor: entry.actor, detail: JSON.parse(entry.detail) as unknown }))).toEqual([
      { actor: 'prov@example.id', detail: { survey: 'SPI-TEST', agency: 'PROV-A', file: 'undelivered.csv', rows: 2, resent: 2, saved: 0, unchanged: 0, rejected: 0, respondents: [respondentIdOf('Cici'), respondentIdOf('Dodi')] } },
      { actor: 'prov@example.id', detail: { survey: 'SPI-TEST', agency: 'PROV-A', file: 'undelivered.csv', rows: 2, resent: 0, saved: 0, unchanged: 2, rejected: 0, respondents: [] } },
    ]);
  });

  it('the same list as XLSX keeps phone numbers as text through a spreadsheet, and comes back corrected', async () => {
    world.db.prepare(`UPDATE respondents SET phone = '+6281234567077' WHERE name = 'Dodi'`).run();
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    expect((await agent.get(uploadPath).expect(200)).text).toContain(`href="/staff/monitoring/SPI-TEST/agencies/PROV-A/undelivered.xlsx"`);
    const downloaded = await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A/undelivered.xlsx').buffer(true).parse(rawBody).expect(200).expect('Content-Type', /spreadsheetml/);
    const { default: ExcelJS } = await import('exceljs');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(downloaded.body as Parameters<typeof workbook.xlsx.load>[0]);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.name).toBe('PROV-A');
    expect(sheet.getRow(1).values).toEqual([undefined, 'respondent_id', 'name', 'group', 'unit', 'email', 'phone', 'delivery', 'last_error', 'correct_at']);
    expect(sheet.getRow(2).getCell(1).value).toBe(respondentIdOf('Cici'));
    // a text cell: a spreadsheet shows it as typed instead of as 6.28E+12
    expect(sheet.getRow(3).getCell(6).value).toBe('+6281234567077');
    sheet.getRow(2).getCell(5).value = 'cici.benar@example.id';
    const corrected = Buffer.from(await workbook.xlsx.writeBuffer());
    const report = await agent.post(uploadPath).field('_csrf', csrf).attach('file', corrected, 'undelivered.xlsx').expect(200);
    expect(report.text).toContain('2 baris dibaca: 1 undangan dikirim ulang, 0 kontak disimpan (undangannya belum pernah dikirim), 1 tidak berubah, 0 ditolak.');
    expect(contactOf('Cici')).toEqual({ email: 'cici.benar@example.id', phone: null });
    expect(contactOf('Dodi')).toEqual({ email: 'dodi@example.id', phone: '+6281234567077' });
    await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A/undelivered.pdf').expect(404);
  });

  it('reports each bad row by line and column and stores the good ones; a link that may have been seen is left to its own form, for administrators too', async () => {
    await importRespondents(world.db, world.clock, TEST_SECRET, 'SPI-TEST', Buffer.from('agency_code,group,name,email\nPROV-A,internal,Hadi,hadi@example.id\n'));
    setMessage('Hadi', 'failed');
    const { agent, csrf } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const id = respondentIdOf;
    const file = [
      'Respondent_ID,name,email,phone',
      `${id('Ani')},Ani,ani.baru@example.id,`, // 2: answered
      `${id('Budi')},Budi,budi.baru@example.id,`, // 3: sent and opened
      `${id('Eka')},Eka,eka.baru@example.id,`, // 4: opted out
      `${id('Gita')},Gita,gita.baru@example.id,`, // 5: KOTA-B's
      '999999,Siapa,siapa@example.id,', // 6
      'abc,Siapa,siapa@example.id,', // 7
      ',Siapa,siapa@example.id,', // 8
      `${id('Fajar')},Fajar,fajar@example.id,`, // 9: never messaged: stored only
      `${id('Fajar')},Fajar,fajar.lagi@example.id,`, // 10: twice
      `${id('Cici')},Cici,FAJAR@example.id,`, // 11: the email line 9 just gave Fajar
      `${id('Dodi')},Dodi,bukan-email,12`, // 12: both wrong
      `${id('Dodi')},Dodi,dodi.baru@example.id,`, // 13: a second row, even after a refused first
      `${id('Hadi')},Hadi,ani@example.id,`, // 14: Ani's
    ].join('\n');
    const report = await agent.post(uploadPath).field('_csrf', csrf).attach('file', Buffer.from(file), 'koreksi.csv').expect(200);
    const problems = [...report.text.matchAll(/<li>(line \d+, column [^<]+)<\/li>/g)].map((match) => match[1]!.replaceAll('&#39;', "'").replaceAll('&#34;', '"'));
    expect(problems).toEqual([
      'line 2, column respondent_id: has answered, opted out or was withdrawn from the sample: their contact is no longer used',
      "line 3, column respondent_id: the invitation may already have been seen: replace its link on the respondent's own contact form",
      'line 4, column respondent_id: has answered, opted out or was withdrawn from the sample: their contact is no longer used',
      `line 5, column respondent_id: no respondent ${id('Gita')} in PROV-A for this survey`,
      'line 6, column respondent_id: no respondent 999999 in PROV-A for this survey',
      'line 7, column respondent_id: "abc" is not a respondent number',
      'line 8, column respondent_id: is required (the first column of the undelivered list)',
      'line 10, column respondent_id: same respondent as line 9',
      'line 11, column email: same email as line 9',
      'line 12, column email: "bukan-email" is not a valid email address',
      expect.stringMatching(/^line 12, column phone: /),
      'line 13, column respondent_id: same respondent as line 12',
      'line 14, column email: this email is already registered for PROV-A in this survey',
    ]);
    expect(report.text).toContain('13 baris dibaca: 0 undangan dikirim ulang, 1 kontak disimpan (undangannya belum pernah dikirim), 0 tidak berubah, 12 ditolak.');
    expect(contactOf('Fajar')).toEqual({ email: 'fajar@example.id', phone: null });
    expect(messagesOf('Fajar')).toEqual([]);
    for (const [name, contact] of [['Ani', { email: 'ani@example.id', phone: null }], ['Budi', { email: 'budi@example.id', phone: '+6281234567001' }], ['Cici', { email: 'cici@example.id', phone: null }], ['Dodi', { email: 'dodi@example.id', phone: null }], ['Hadi', { email: 'hadi@example.id', phone: null }]] as const) {
      expect(contactOf(name)).toEqual(contact);
    }
    expect(messagesOf('Dodi')).toEqual([{ channel: 'email', state: 'bounced' }]);
  });

  it('a long file is applied 250 rows at a time, giving respondents a turn in between, and still finds a row repeated across them', async () => {
    const names = Array.from({ length: 1500 }, (_, index) => `Warga ${index}`);
    await importRespondents(world.db, world.clock, TEST_SECRET, 'SPI-TEST', Buffer.from('agency_code,group,name,email\n' + names.map((name, index) => `PROV-A,internal,${name},warga${index}@example.id`).join('\n') + '\n'));
    const now = world.clock.now();
    for (const name of names) queueMessage(world.db, { invitationId: invitationOf(name), channel: 'email', kind: 'invitation' }, now.getTime(), now.toISOString());
    world.db.prepare(`UPDATE messages SET state = 'bounced' WHERE state = 'queued'`).run();
    const corrected = () => world.db.prepare(`SELECT COUNT(*) FROM respondents WHERE email LIKE '%@benar.example.id'`).pluck().get();
    const rows = names.map((name, index) => `${respondentIdOf(name)},warga${index}@benar.example.id`);
    const file = Buffer.from(['respondent_id,email', ...rows, rows[0]!.replace('@benar', '.lagi@benar')].join('\n'));
    let correctedDuringUpload: unknown;
    setImmediate(() => (correctedDuringUpload = corrected()));
    const report = await correctContactsFromFile(world.db, world.clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A' }, file, { whatsappConfigured: false, secretKey: TEST_SECRET });
    expect(correctedDuringUpload).toBe(250);
    expect(corrected()).toBe(1500);
    expect(report).toMatchObject({ rows: 1501, resent: 1500, rejected: 1, errors: [{ line: 1502, column: 'respondent_id', message: 'same respondent as line 2' }] });
  });

  it('a bounced address that looks mistyped: the form suggests the likely one, and a file storing another such address says so', async () => {
    world.db.prepare(`UPDATE respondents SET email = 'dodi@gmial.com' WHERE name = 'Dodi'`).run();
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    const form = await agent.get(`/staff/monitoring/SPI-TEST/agencies/PROV-A/respondents/${respondentIdOf('Dodi')}/contact`).expect(200);
    expect(form.text).toContain('aria-describedby="contact-email-meant"');
    expect(form.text).toContain('<span id="contact-email-meant" class="muted small">Mungkin salah ketik; maksudnya dodi@gmail.com?</span>');
    expect((await agent.get(`/staff/monitoring/SPI-TEST/agencies/PROV-A/respondents/${respondentIdOf('Cici')}/contact`).expect(200)).text).not.toContain('contact-email-meant');
    const report = await agent.post(uploadPath).field('_csrf', csrf).attach('file', Buffer.from(`respondent_id,email\n${respondentIdOf('Cici')},cici@yahoo.co.di\n${respondentIdOf('Dodi')},dodi@gmail.com\n`), 'x.csv').expect(200);
    expect(report.text).toContain('2 baris dibaca: 2 undangan dikirim ulang');
    expect(report.text).toContain('Periksa (1): disimpan seperti tertulis, tetapi mungkin salah ketik');
    expect(report.text).toContain('line 2, column email: cici@yahoo.co.di: did you mean cici@yahoo.co.id? Stored as written');
    expect(contactOf('Cici')).toEqual({ email: 'cici@yahoo.co.di', phone: null });
  });

  it('a column the file lacks keeps what is stored', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    await agent.post(uploadPath).field('_csrf', csrf).attach('file', Buffer.from(`respondent_id,phone\n${respondentIdOf('Cici')},+62 812 3456 7066\n`), 'telepon.csv').expect(200);
    expect(contactOf('Cici')).toEqual({ email: 'cici@example.id', phone: '+6281234567066' });
  });

  it('a file it cannot use is refused whole with one message, and nothing changes; only the agency\'s own staff, while the survey is open', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    const before = everything();
    const good = Buffer.from(`respondent_id,email\n${respondentIdOf('Cici')},cici.benar@example.id\n`);
    const refusedWith = async (content: Buffer | null, expected: string) => {
      const posting = agent.post(uploadPath).field('_csrf', csrf);
      const response = await (content ? posting.attach('file', content, 'x.csv') : posting).expect(422);
      expect(response.text).toContain('Berkas ditolak seluruhnya; tidak ada kontak yang diubah.');
      expect(response.text).toContain(expected);
    };
    await refusedWith(Buffer.from('name,email\nCici,cici.benar@example.id\n'), 'The file lacks the required column(s): respondent_id');
    await refusedWith(Buffer.from(`respondent_id,name\n${respondentIdOf('Cici')},Cici\n`), 'The file needs an &#34;email&#34; column, a &#34;phone&#34; column, or both.');
    await refusedWith(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]), 'not a readable CSV or XLSX file');
    await refusedWith(null, 'Choose a file to upload.');
    await agent.post(uploadPath).field('_csrf', 'forged').attach('file', good, 'x.csv').expect(403);
    await agent.post('/staff/monitoring/SPI-TEST/agencies/KOTA-B/contacts').field('_csrf', csrf).attach('file', good, 'x.csv').expect(403);
    const inspector = await signInStaff(world.app, 'inspektur@example.id', 'inspector-password-1');
    await inspector.agent.get(uploadPath).expect(403);
    await inspector.agent.post(uploadPath).field('_csrf', inspector.csrf).attach('file', good, 'x.csv').expect(403);
    world.db.prepare(`UPDATE surveys SET status = 'closed'`).run();
    expect((await agent.get(uploadPath).expect(200)).text).toContain('Survei ini tidak sedang dibuka');
    await refusedWith(good, 'Survey SPI-TEST is closed: messages are only sent while it is open.');
    expect(everything()).toEqual(before);
  });
});

describe('withdrawing a respondent from the sample', () => {
  const respondentIdOf = (name: string) => world.db.prepare(`SELECT id FROM respondents WHERE name = ?`).pluck().get(name) as number;
  const withdrawPath = (name: string, agency = 'PROV-A') => `/staff/monitoring/SPI-TEST/agencies/${agency}/respondents/${respondentIdOf(name)}/withdraw`;
  const reinstatePath = (name: string) => `/staff/monitoring/SPI-TEST/agencies/PROV-A/respondents/${respondentIdOf(name)}/reinstate`;
  const provAInternal = async () => {
    const surveyId = world.db.prepare(`SELECT id FROM surveys`).pluck().get() as number;
    return (await agencyGroupCounts(connectionReader(world.db), surveyId)).find((row) => row.agencyCode === 'PROV-A' && row.group === 'internal')!;
  };
  const messagesOf = (name: string) => world.db.prepare(`SELECT kind, state, last_error AS lastError FROM messages WHERE invitation_id = ? ORDER BY id`).all(invitationOf(name));

  it('a liaison withdraws someone who retired: the link stops working, nothing more is sent, the response rate leaves them out; reinstating undoes it', async () => {
    const now = world.clock.now();
    queueMessage(world.db, { invitationId: invitationOf('Budi'), channel: 'email', kind: 'reminder' }, now.getTime(), now.toISOString());
    const budiToken = world.tokens.get('Budi')!;
    expect(await provAInternal()).toMatchObject({ respondents: 5, invited: 5, opened: 2, started: 2, completed: 1 });
    expect(responseRate(await provAInternal())).toBe(0.5);
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    expect((await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200)).text).toContain(`href="${withdrawPath('Budi')}"`);
    const form = await agent.get(withdrawPath('Budi')).expect(200);
    expect(form.text).toContain('Tarik Budi dari sampel?');
    expect(form.text).toContain('Dapat dibatalkan selama survei belum ditutup');
    // a reason is required: 422 naming the field, nothing changed
    const refused = await agent.post(withdrawPath('Budi')).type('form').send({ _csrf: csrf, reason: '  ' }).expect(422);
    expect(refused.text).toContain('aria-invalid="true"');
    expect(refused.text).toContain('say why (retired, moved, listed by mistake…)');
    await request(world.app).get(`/api/v1/respond/${budiToken}`).expect(200);

    await agent.post(withdrawPath('Budi')).type('form').send({ _csrf: csrf, reason: 'Pensiun per 1 Juli' }).expect(303).expect('Location', '/staff/monitoring/SPI-TEST/agencies/PROV-A?withdrawn=1');
    // the link is as unknown as any, the draft typed through it is gone, the waiting reminder cancelled
    await request(world.app).get(`/api/v1/respond/${budiToken}`).expect(404);
    await request(world.app).post(`/api/v1/respond/${budiToken}/submit`).send({ answers: completeInternalAnswers() }).expect(404);
    expect(world.db.prepare(`SELECT draft_json FROM invitations WHERE id = ?`).pluck().get(invitationOf('Budi'))).toBeNull();
    expect(messagesOf('Budi')).toEqual([
      { kind: 'invitation', state: 'sent', lastError: null },
      { kind: 'reminder', state: 'cancelled', lastError: 'withdrawn from the sample' },
    ]);
    // out of the counts: 1 completed of (4 − 1 failed − 1 bounced − 1 opted out)
    expect(await provAInternal()).toMatchObject({ respondents: 4, invited: 4, opened: 1, started: 1, completed: 1 });
    expect(responseRate(await provAInternal())).toBe(1);
    const page = await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A?withdrawn=1').expect(200);
    expect(page.text).toContain('Responden ditarik dari sampel; tautannya tidak berlaku lagi.');
    expect(page.text).toContain('Belum mengisi (4)');
    expect(page.text).toContain('Ditarik dari sampel (1)');
    expect(page.text).toMatch(/<td>Budi<\/td><td>Pegawai<\/td><td>Dinas Dua<\/td><td>Pensiun per 1 Juli<\/td>/);
    // no reminder, no invitation goes to them any more, and their link is not handed out either
    expect([...exportLinks(world.db, TEST_SECRET, 'http://integritas.test', 'SPI-TEST', { agencyCode: 'PROV-A' })].map((row) => row.name)).toEqual(['Fajar', 'Ani', 'Cici', 'Dodi', 'Eka']);
    const reminders = await queueReminders(world.db, world.clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A', minDays: 0, max: 5, dryRun: true });
    expect(reminders.planned.map((planned) => planned.invitationId)).not.toContain(invitationOf('Budi'));
    await agent.post(withdrawPath('Fajar')).type('form').send({ _csrf: csrf, reason: 'Salah data' }).expect(303);
    expect((await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A' }, false)).queued).toEqual({ email: 0, whatsapp: 0 });
    expect(messagesOf('Fajar')).toEqual([]);
    // how many each agency withdrew stays in sight of inspectors, beside the counts it no longer lowers;
    // a group all of whose respondents were withdrawn keeps its row
    const inspector = await signInStaff(world.app, 'inspektur@example.id', 'inspector-password-1');
    const exported = (await inspector.agent.get('/staff/monitoring/SPI-TEST/export.csv').expect(200)).text;
    expect(exported).toContain('PROV-A,Provinsi A,external,0,0,0,0,0,0,1,0,0,0,,2');
    expect(exported).toContain('PROV-A,Provinsi A,internal,4,4,1,1,1,1,1,1,1,1,1,2');

    await agent.post(reinstatePath('Budi')).type('form').send({ _csrf: csrf }).expect(303).expect('Location', '/staff/monitoring/SPI-TEST/agencies/PROV-A?reinstated=1');
    await request(world.app).get(`/api/v1/respond/${budiToken}`).expect(200);
    expect(await provAInternal()).toMatchObject({ respondents: 5, invited: 5, completed: 1 });
    // what the withdrawal cancelled waits again, ahead of any blast
    expect(messagesOf('Budi')).toEqual([
      { kind: 'invitation', state: 'sent', lastError: null },
      { kind: 'reminder', state: 'queued', lastError: null },
    ]);
    expect(world.db.prepare(`SELECT priority FROM messages WHERE invitation_id = ? AND state = 'queued'`).pluck().all(invitationOf('Budi'))).toEqual([1]);
    const audit = world.db.prepare(`SELECT action, detail FROM audit_log WHERE action LIKE 'respondent.%' ORDER BY id`).all() as { action: string; detail: string }[];
    expect(audit.map((entry) => [entry.action, JSON.parse(entry.detail) as unknown])).toEqual([
      ['respondent.withdrawn', { survey: 'SPI-TEST', agency: 'PROV-A', respondent: respondentIdOf('Budi') }],
      ['respondent.withdrawn', { survey: 'SPI-TEST', agency: 'PROV-A', respondent: respondentIdOf('Fajar') }],
      ['respondent.reinstated', { survey: 'SPI-TEST', agency: 'PROV-A', respondent: respondentIdOf('Budi') }],
    ]);
  });

  it('an invitation cancelled by a withdrawal before it left goes out after reinstating; one cancelled for another reason stays cancelled', async () => {
    const now = world.clock.now();
    queueMessage(world.db, { invitationId: invitationOf('Fajar'), channel: 'whatsapp', kind: 'invitation' }, now.getTime(), now.toISOString());
    const { agent, csrf } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    await agent.post(withdrawPath('Fajar')).type('form').send({ _csrf: csrf, reason: 'Salah data' }).expect(303);
    expect(messagesOf('Fajar')).toEqual([{ kind: 'invitation', state: 'cancelled', lastError: 'withdrawn from the sample' }]);
    // "send invitations" counts him as invited already: without the restore he would never get it
    expect((await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A' }, true)).queued).toEqual({ email: 0, whatsapp: 0 });
    // Eka's queued invitation was cancelled by her opt-out, not by a withdrawal
    const ekaBefore = messagesOf('Eka');
    await agent.post(withdrawPath('Eka')).type('form').send({ _csrf: csrf, reason: 'Mutasi' }).expect(303);
    await agent.post(reinstatePath('Fajar')).type('form').send({ _csrf: csrf }).expect(303);
    await agent.post(reinstatePath('Eka')).type('form').send({ _csrf: csrf }).expect(303);
    expect(messagesOf('Fajar')).toEqual([{ kind: 'invitation', state: 'queued', lastError: null }]);
    expect(messagesOf('Eka')).toEqual(ekaBefore);
  });

  it('never someone who answered, nor twice; inspectors only see who was withdrawn and why; nothing changes once the survey is closed', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    expect((await agent.get(withdrawPath('Ani')).expect(200)).text).toContain('Responden ini sudah mengisi');
    await agent.post(withdrawPath('Ani')).type('form').send({ _csrf: csrf, reason: 'Pensiun' }).expect(409);
    // the database refuses it too
    expect(() => world.db.prepare(`UPDATE invitations SET withdrawn_at = 'now' WHERE id = ?`).run(invitationOf('Ani'))).toThrow('a completed invitation cannot be withdrawn');
    await agent.post(withdrawPath('Cici')).type('form').send({ _csrf: 'forged', reason: 'Pensiun' }).expect(403);
    await agent.post(withdrawPath('Cici')).type('form').send({ _csrf: csrf, reason: 'x'.repeat(201) }).expect(422);
    await agent.post(withdrawPath('Cici')).type('form').send({ _csrf: csrf, reason: 'Mutasi' }).expect(303);
    expect((await agent.get(withdrawPath('Cici')).expect(200)).text).toContain('Responden ini sudah ditarik dari sampel.');
    await agent.post(withdrawPath('Cici')).type('form').send({ _csrf: csrf, reason: 'Mutasi' }).expect(409);
    expect(() => world.db.prepare(`UPDATE invitations SET status = 'completed' WHERE id = ?`).run(invitationOf('Cici'))).toThrow('a withdrawn invitation cannot be completed');
    // their contact is not corrected any more either
    expect((await agent.get(`/staff/monitoring/SPI-TEST/agencies/PROV-A/respondents/${respondentIdOf('Cici')}/contact`).expect(200)).text).toContain('Kontak ini tidak dapat diperbaiki di sini');
    await agent.post(reinstatePath('Dodi')).type('form').send({ _csrf: csrf }).expect(409);
    await agent.get(withdrawPath('Gita', 'KOTA-B')).expect(403);

    const inspector = await signInStaff(world.app, 'inspektur@example.id', 'inspector-password-1');
    await inspector.agent.get(withdrawPath('Dodi')).expect(403);
    await inspector.agent.post(reinstatePath('Cici')).type('form').send({ _csrf: inspector.csrf }).expect(403);
    const seen = await inspector.agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200);
    expect(seen.text).toContain('Ditarik dari sampel (1)');
    expect(seen.text).toContain('<td>Mutasi</td>');
    expect(seen.text).not.toContain('/reinstate');
    expect(seen.text).not.toContain('/withdraw');

    world.db.prepare(`UPDATE surveys SET status = 'closed'`).run();
    await agent.post(withdrawPath('Dodi')).type('form').send({ _csrf: csrf, reason: 'Pensiun' }).expect(422);
    await agent.post(reinstatePath('Cici')).type('form').send({ _csrf: csrf }).expect(422);
    expect(world.db.prepare(`SELECT r.name FROM invitations i JOIN respondents r ON r.id = i.respondent_id WHERE i.withdrawn_at IS NOT NULL`).pluck().all()).toEqual(['Cici']);
  });
});

describe('adding one respondent by hand', () => {
  const addPath = '/staff/monitoring/SPI-TEST/agencies/PROV-A/respondents/new';
  const fields = { group: 'internal', name: 'Hadi Pengganti', email: ' Hadi@Example.id ', phone: '', unit: 'Dinas Dua', language: 'en' };

  it('the liaison adds a replacement, checked as an import row, with a working link and the invitation queued at once', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    expect((await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200)).text).toContain(`href="${addPath}"`);
    const form = await agent.get(addPath).expect(200);
    expect(form.text).toContain('<option value="Dinas Dua">Dinas Dua</option>');
    expect(form.text).toContain('name="send" value="yes" checked');
    await agent.post(addPath).type('form').send({ _csrf: csrf, ...fields, send: 'yes' }).expect(303).expect('Location', '/staff/monitoring/SPI-TEST/agencies/PROV-A?added=email');
    const added = world.db.prepare(`SELECT r.id, r.email, r.phone, r.language, u.name AS unit, i.id AS invitationId, i.token_seed AS tokenSeed FROM respondents r JOIN invitations i ON i.respondent_id = r.id LEFT JOIN agency_units u ON u.id = r.unit_id WHERE r.name = 'Hadi Pengganti'`).get() as { id: number; email: string; phone: string | null; language: string; unit: string; invitationId: number; tokenSeed: string };
    expect(added).toMatchObject({ email: 'hadi@example.id', phone: null, language: 'en', unit: 'Dinas Dua' });
    // queued by hand for one respondent: ahead of any blast (migration 011)
    expect(world.db.prepare(`SELECT channel, kind, state, priority FROM messages WHERE invitation_id = ?`).all(added.invitationId)).toEqual([{ channel: 'email', kind: 'invitation', state: 'queued', priority: 1 }]);
    const questionnaire = await request(world.app).get(`/api/v1/respond/${deriveInvitationToken(TEST_SECRET, added.tokenSeed)}`).expect(200);
    expect(questionnaire.body).toMatchObject({ status: 'new', language: 'en' });
    expect((await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A?added=email').expect(200)).text).toContain('Responden ditambahkan; undangannya masuk antrean lewat email.');
    const audit = world.db.prepare(`SELECT detail FROM audit_log WHERE action = 'respondent.added'`).pluck().all() as string[];
    expect(audit.map((detail) => JSON.parse(detail) as unknown)).toEqual([{ survey: 'SPI-TEST', agency: 'PROV-A', respondent: added.id, channel: 'email' }]);
    // without "send now", only stored: "send invitations" sends it later
    await agent.post(addPath).type('form').send({ _csrf: csrf, ...fields, name: 'Ina', email: '', phone: '0812 3456 7090' }).expect(303).expect('Location', '/staff/monitoring/SPI-TEST/agencies/PROV-A?added=stored');
    expect(world.db.prepare(`SELECT COUNT(*) FROM messages m JOIN invitations i ON i.id = m.invitation_id JOIN respondents r ON r.id = i.respondent_id WHERE r.name = 'Ina'`).pluck().get()).toBe(0);
  });

  it('refuses what an import would refuse, with 422 naming each field, and adds nothing; only the agency\'s own staff, until the survey closes', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    const respondents = () => world.db.prepare(`SELECT COUNT(*) FROM respondents`).pluck().get();
    const before = respondents();
    const refused = await agent.post(addPath).type('form').send({ _csrf: csrf, ...fields, group: 'expert', email: 'bukan-email', phone: '12', unit: 'Dinas Sembilan', language: 'fr' }).expect(422);
    for (const field of ['group', 'email', 'phone', 'unit', 'language']) expect(refused.text).toContain(`id="add-${field}-error"`);
    expect(refused.text).toContain('aria-invalid="true" aria-describedby="add-email-error"');
    expect(refused.text).toContain('aria-invalid="true" aria-describedby="add-phone-hint add-phone-error"');
    expect(refused.text).toContain('value="bukan-email"');
    expect((await agent.post(addPath).type('form').send({ _csrf: csrf, ...fields, email: 'cici@example.id' }).expect(422)).text).toContain('this email is already registered for PROV-A in this survey');
    expect((await agent.post(addPath).type('form').send({ _csrf: csrf, ...fields, email: '', phone: '' }).expect(422)).text).toContain('an email or a phone number is required');
    await agent.post(addPath).type('form').send({ _csrf: 'forged', ...fields }).expect(403);
    await agent.post('/staff/monitoring/SPI-TEST/agencies/KOTA-B/respondents/new').type('form').send({ _csrf: csrf, ...fields, unit: '' }).expect(403);
    const inspector = await signInStaff(world.app, 'inspektur@example.id', 'inspector-password-1');
    await inspector.agent.get(addPath).expect(403);
    expect((await inspector.agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200)).text).not.toContain(addPath);
    world.db.prepare(`UPDATE surveys SET status = 'closed'`).run();
    await agent.get(addPath).expect(422);
    await agent.post(addPath).type('form').send({ _csrf: csrf, ...fields }).expect(422);
    expect(respondents()).toBe(before);
  });
});

describe('correcting a non-responder\'s name, group, unit or language', () => {
  const respondentIdOf = (name: string) => world.db.prepare(`SELECT id FROM respondents WHERE name = ?`).pluck().get(name) as number;
  const detailsPath = (name: string) => `/staff/monitoring/SPI-TEST/agencies/PROV-A/respondents/${respondentIdOf(name)}/details`;
  const stored = (name: string) => world.db.prepare(`SELECT r.name, r.group_code AS "group", u.name AS unit, r.language FROM respondents r LEFT JOIN agency_units u ON u.id = r.unit_id WHERE r.name = ?`).get(name);

  it('the liaison moves someone to the right unit; a new group starts the other questionnaire afresh, after a confirmation when a draft would be lost', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    expect((await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200)).text).toContain(`href="${detailsPath('Cici')}"`);
    const form = await agent.get(detailsPath('Cici')).expect(200);
    expect(form.text).toContain('Ubah data Cici');
    expect(form.text).not.toContain('name="email"');
    await agent.post(detailsPath('Cici')).type('form').send({ _csrf: csrf, name: 'Cici Rahma', group: 'internal', unit: 'dinas satu', language: 'en' }).expect(303).expect('Location', '/staff/monitoring/SPI-TEST/agencies/PROV-A?changed=1');
    expect(stored('Cici Rahma')).toEqual({ name: 'Cici Rahma', group: 'internal', unit: 'Dinas Satu', language: 'en' });

    // Budi started the internal questionnaire; he is a service user
    const budiToken = world.tokens.get('Budi')!;
    expect((await request(world.app).get(`/api/v1/respond/${budiToken}`).expect(200)).body).toMatchObject({ group: { code: 'internal' }, status: 'in_progress' });
    const refused = await agent.post(detailsPath('Budi')).type('form').send({ _csrf: csrf, name: 'Budi', group: 'external', unit: '', language: 'id' }).expect(422);
    expect(refused.text).toContain('id="add-confirm-error"');
    expect(stored('Budi')).toMatchObject({ group: 'internal' });
    await agent.post(detailsPath('Budi')).type('form').send({ _csrf: csrf, name: 'Budi', group: 'external', unit: '', language: 'id', confirm: 'yes' }).expect(303);
    const questionnaire = (await request(world.app).get(`/api/v1/respond/${budiToken}`).expect(200)).body as { group: { code: string }; status: string; answers: unknown };
    expect(questionnaire).toMatchObject({ group: { code: 'external' }, status: 'new', answers: {} });
    expect(world.db.prepare(`SELECT status, started_at AS startedAt, opened_at IS NOT NULL AS opened FROM invitations WHERE id = ?`).get(invitationOf('Budi'))).toEqual({ status: 'opened', startedAt: null, opened: 1 });
    const audit = world.db.prepare(`SELECT detail FROM audit_log WHERE action = 'respondent.details_changed' ORDER BY id`).pluck().all() as string[];
    expect(audit.map((detail) => (JSON.parse(detail) as { groupChanged: boolean }).groupChanged)).toEqual([false, true]);
  });

  it('refuses a bad unit or group with 422 naming it; never someone who answered; only the agency\'s own staff, until the survey closes', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'prov@example.id', 'liaison-password-1');
    const refused = await agent.post(detailsPath('Dodi')).type('form').send({ _csrf: csrf, name: 'Dodi', group: 'expert', unit: 'Dinas Sembilan', language: 'id' }).expect(422);
    expect(refused.text).toContain('id="add-group-error"');
    expect(refused.text).toContain('id="add-unit-error"');
    expect(stored('Dodi')).toEqual({ name: 'Dodi', group: 'internal', unit: null, language: 'id' });
    await agent.get(detailsPath('Ani')).expect(409);
    await agent.post(detailsPath('Ani')).type('form').send({ _csrf: csrf, name: 'Ani', group: 'external', unit: '', language: 'id' }).expect(409);
    await agent.post(detailsPath('Dodi')).type('form').send({ _csrf: 'forged', name: 'X', group: 'internal', unit: '', language: 'id' }).expect(403);
    await agent.get(`/staff/monitoring/SPI-TEST/agencies/KOTA-B/respondents/${respondentIdOf('Gita')}/details`).expect(403);
    const inspector = await signInStaff(world.app, 'inspektur@example.id', 'inspector-password-1');
    await inspector.agent.get(detailsPath('Dodi')).expect(403);
    world.db.prepare(`UPDATE surveys SET status = 'closed'`).run();
    await agent.post(detailsPath('Dodi')).type('form').send({ _csrf: csrf, name: 'Dodi Baru', group: 'internal', unit: '', language: 'id' }).expect(422);
    expect(stored('Dodi')).toMatchObject({ name: 'Dodi' });
  });
});

describe('replacing a link that may have reached a wrong address', () => {
  const budiPath = () => `/staff/monitoring/SPI-TEST/agencies/PROV-A/respondents/${world.db.prepare(`SELECT id FROM respondents WHERE name = 'Budi'`).pluck().get() as number}/contact`;
  const budiInvitation = () => world.db.prepare(`SELECT token_seed AS tokenSeed, status, opened_at AS openedAt, started_at AS startedAt, draft_json AS draft FROM invitations WHERE id = ?`).get(invitationOf('Budi')) as { tokenSeed: string; status: string; openedAt: string | null; startedAt: string | null; draft: string | null };

  it('an administrator revokes the old link after confirming, and the invitation goes out again with a new one', async () => {
    const oldToken = world.tokens.get('Budi')!;
    const now = world.clock.now();
    queueMessage(world.db, { invitationId: invitationOf('Budi'), channel: 'email', kind: 'reminder' }, now.getTime(), now.toISOString());
    const liaisonPage = await (await signInStaff(world.app, 'prov@example.id', 'liaison-password-1')).agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200);
    expect(liaisonPage.text).not.toContain(budiPath());
    const { agent, csrf } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    expect((await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200)).text).toContain(budiPath());
    const form = await agent.get(budiPath()).expect(200);
    expect(form.text).toContain('Tautan lama akan dicabut di semua saluran');
    expect(form.text).toContain('jawaban yang belum dikirim akan dihapus');
    // without the confirmation: 422 naming it, and the old link still works
    const refused = await agent.post(budiPath()).type('form').send({ _csrf: csrf, email: 'budi.benar@example.id', phone: '' }).expect(422);
    expect(refused.text).toContain('id="contact-confirm-error"');
    expect(world.db.prepare(`SELECT email FROM respondents WHERE name = 'Budi'`).pluck().get()).toBe('budi@example.id');
    await request(world.app).get(`/api/v1/respond/${oldToken}`).expect(200);
    await agent.post(budiPath()).type('form').send({ _csrf: csrf, email: 'budi.benar@example.id', phone: '', confirm: 'yes' }).expect(303).expect('Location', '/staff/monitoring/SPI-TEST/agencies/PROV-A?resent=email');
    // the old link is gone; the new one starts afresh, without what was typed through the old one
    await request(world.app).get(`/api/v1/respond/${oldToken}`).expect(404);
    const invitation = budiInvitation();
    expect(invitation).toMatchObject({ status: 'new', openedAt: null, startedAt: null, draft: null });
    const fresh = await request(world.app).get(`/api/v1/respond/${deriveInvitationToken(TEST_SECRET, invitation.tokenSeed)}`).expect(200);
    expect(fresh.body).toMatchObject({ status: 'new', answers: {} });
    // the sent invitation is queued again (to the new address), the waiting reminder with the old link cancelled
    expect(world.db.prepare(`SELECT kind, state, attempts FROM messages WHERE invitation_id = ? ORDER BY id`).all(invitationOf('Budi'))).toEqual([
      { kind: 'invitation', state: 'queued', attempts: 0 },
      { kind: 'reminder', state: 'cancelled', attempts: 0 },
    ]);
    const audit = world.db.prepare(`SELECT detail FROM audit_log WHERE action = 'respondent.contact_corrected'`).pluck().all() as string[];
    expect(audit.map((detail) => JSON.parse(detail) as Record<string, unknown>)).toEqual([{ survey: 'SPI-TEST', agency: 'PROV-A', respondent: expect.any(Number), channel: 'email', linkReplaced: true }]);
  });
});
