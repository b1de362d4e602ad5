import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitQuestionnaire } from '../../server/answering/service.js';
import { queueInvitations } from '../../server/invitations/sending.js';
import { importRespondents } from '../../server/respondents/service.js';
import { addStaff } from '../../server/staff/service.js';
import { completeInternalAnswers, createWorld, type World, serveWorld, TEST_SECRET } from '../helpers.js';
import { chromiumAvailable, launchChromium, openSignedIn as signInAndOpen, phoneContext, seriousAxeViolations } from './chromium.js';

let browser: Browser;
let world: World;
let served: Awaited<ReturnType<typeof serveWorld>> | undefined;
let baseUrl: string;
/** while set, the server gets a respondents upload only once this settles (a national file's checking) */
let respondentsUploadHeld: Promise<void> | undefined;
let releaseUpload: () => void = () => {};

beforeAll(async () => {
  if (!chromiumAvailable) return;
  browser = await launchChromium();
  world = await createWorld();
  await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
  await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email' }, false);
  world.db.prepare(`UPDATE messages SET state = 'sent', sent_at = created_at`).run();
  submitQuestionnaire({ db: world.db, clock: world.clock, timeZone: 'Asia/Jakarta' }, world.tokens.get('Ani')!, completeInternalAnswers());
  world.clock.advance(2 * 24 * 3600 * 1000);
  served = await serveWorld(world, { holdRequest: (request) => (request.method === 'POST' && request.url?.endsWith('/respondents') ? respondentsUploadHeld : undefined) });
  baseUrl = served.baseUrl;
});
afterAll(async () => {
  // a test that failed while holding an upload must not keep the server from closing
  releaseUpload();
  await browser?.close();
  await served?.close();
  world?.cleanup();
});

const openSignedIn = (page: Page, path: string, landed: RegExp) => signInAndOpen(page, `${baseUrl}${path}`, landed);

describe.skipIf(!chromiumAvailable)('monitoring journey in Chromium', () => {
  it('sign in → dashboard → agency drill-down → send reminders, axe clean on the way', async () => {
    const context = await phoneContext(browser);
    const page = await context.newPage();
    const audited: Record<string, unknown> = {};
    await openSignedIn(page, '/staff', /\/staff$/);
    await page.getByRole('link', { name: 'Pemantauan respons' }).click();
    await page.waitForURL(/\/staff\/monitoring\/SPI-TEST$/);
    expect(await page.locator('tr[data-row="PROV-A/internal"] [data-rate]').textContent()).toBe('20%'); // 1 of 5 reached
    audited.dashboard = await seriousAxeViolations(page);
    await page.locator('tr[data-row="PROV-A/internal"]').getByRole('link', { name: 'Provinsi A' }).click();
    await page.waitForURL(/\/agencies\/PROV-A$/);
    expect(await page.getByRole('heading', { name: /Belum mengisi \(5\)/ }).count()).toBe(1);
    expect(await page.getByRole('img', { name: /Penyelesaian per hari/ }).count()).toBe(1);
    audited.drillDown = await seriousAxeViolations(page);
    await page.getByRole('link', { name: 'Kirim pengingat' }).click();
    expect(await page.getByText('4 responden akan menerima pengingat', { exact: false }).count()).toBe(1);
    audited.confirm = await seriousAxeViolations(page);
    await page.getByRole('button', { name: 'Ya, kirim 4 pengingat' }).click();
    await page.waitForURL(/queued=4$/);
    expect(await page.getByRole('status').filter({ hasText: '4 pengingat masuk antrean' }).count()).toBe(1);
    expect(world.db.prepare(`SELECT COUNT(*) FROM messages WHERE kind = 'reminder'`).pluck().get()).toBe(4);
    // no sender runs here: the page shows the queue and says nothing has left
    await page.getByRole('heading', { name: 'Pengiriman pesan' }).waitFor();
    expect(await page.getByText('Antrean semua survei: 4 pesan (4 email, 0 WhatsApp)', { exact: false }).count()).toBe(1);
    expect(await page.getByText('Belum ada pesan yang pernah keluar', { exact: false }).count()).toBe(1);
    audited.queued = await seriousAxeViolations(page);
    expect(audited).toEqual({ dashboard: [], drillDown: [], confirm: [], queued: [] });
    await context.close();
  });

  it('uploads a respondents file with the progress bar (JavaScript) and shows the per-row report; axe clean', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 }, bypassCSP: true });
    context.setDefaultTimeout(8_000);
    const page = await context.newPage();
    await openSignedIn(page, '/staff/surveys/SPI-TEST/manage', /\/manage$/);
    expect(await seriousAxeViolations(page)).toEqual([]);
    const rows = Array.from({ length: 3000 }, (_, index) => `PROV-A,external,Pengguna ${index},pengguna${index}@example.id`).join('\n');
    await page.locator('#respondents-file').setInputFiles({ name: 'responden.csv', mimeType: 'text/csv', buffer: Buffer.from(`agency_code,group,name,email\n${rows}\nNOPE,external,X,x@example.id\n`) });
    const form = page.locator('form[action$="/respondents"]');
    // the server's answer held back, as a national file's checking would hold it for seconds
    respondentsUploadHeld = new Promise<void>((resolve) => (releaseUpload = resolve));
    await form.getByRole('button', { name: 'Unggah dan impor' }).click();
    // once sent, the bar turns indeterminate and says the file is being checked; no second upload
    await form.getByRole('status').filter({ hasText: 'Server sedang memeriksa' }).waitFor();
    expect(await form.locator('progress').getAttribute('value')).toBeNull();
    expect(await form.getByRole('button', { name: 'Unggah dan impor' }).isDisabled()).toBe(true);
    releaseUpload();
    respondentsUploadHeld = undefined;
    await page.getByRole('heading', { name: 'Laporan impor' }).waitFor();
    // sent by XMLHttpRequest with upload progress (the address did not change), not by a plain post
    expect(page.url()).toMatch(/\/manage$/);
    expect(await page.getByText('3001 baris dibaca: 3000 disimpan, 0 diperbarui, 0 duplikat, 1 ditolak.').count()).toBe(1);
    expect(await page.getByText('line 3002, column agency_code: no agency with code "NOPE" is registered').count()).toBe(1);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await context.close();
  });

  it('a long list of non-responders pages with a labelled pager; axe clean with it', async () => {
    await importRespondents(world.db, world.clock, TEST_SECRET, 'SPI-TEST', Buffer.from('agency_code,group,name,email\n' + Array.from({ length: 150 }, (_, index) => `KOTA-B,internal,Warga ${String(index).padStart(3, '0')},warga${index}@example.id`).join('\n') + '\n'));
    const context = await phoneContext(browser);
    const page = await context.newPage();
    await openSignedIn(page, '/staff/monitoring/SPI-TEST/agencies/KOTA-B', /\/agencies\/KOTA-B$/);
    const pager = page.getByRole('navigation', { name: 'Halaman' });
    expect(await pager.textContent()).toContain('1–100 dari 151');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await pager.getByRole('link', { name: 'Berikutnya ›' }).click();
    await page.waitForURL(/\?page=2$/);
    expect(await page.getByRole('cell', { name: 'Warga 149' }).count()).toBe(1);
    expect(await page.getByRole('navigation', { name: 'Halaman' }).textContent()).toContain('101–151 dari 151');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await context.close();
  });

  it('corrects a bounced contact on a phone: the error names the field, then the invitation is queued again; axe clean', async () => {
    world.db.prepare(`UPDATE messages SET state = 'bounced', last_error = '550 5.1.1 mailbox unavailable' WHERE invitation_id = (SELECT i.id FROM invitations i JOIN respondents r ON r.id = i.respondent_id WHERE r.name = 'Gita')`).run();
    const context = await phoneContext(browser);
    const page = await context.newPage();
    await openSignedIn(page, '/staff/monitoring/SPI-TEST/agencies/KOTA-B', /\/agencies\/KOTA-B$/);
    // after the 150 residents without a unit, on the second page
    await page.getByRole('navigation', { name: 'Halaman' }).getByRole('link', { name: 'Berikutnya ›' }).click();
    await page.getByRole('row', { name: /Gita/ }).getByRole('link', { name: 'Ubah kontak' }).click();
    await page.getByRole('heading', { name: 'Ubah kontak Gita' }).waitFor();
    expect(await page.getByText('550 5.1.1 mailbox unavailable').count()).toBe(1);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByLabel('Email').fill('warga1@example.id'); // another respondent's address
    await page.getByRole('button', { name: 'Simpan dan kirim ulang undangan' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByText('this email is already registered for KOTA-B in this survey').count()).toBeGreaterThan(0);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByLabel('Email').fill('gita.baru@example.id');
    await page.getByRole('button', { name: 'Simpan dan kirim ulang undangan' }).click();
    await page.waitForURL(/resent=email$/);
    expect(await page.getByRole('status').filter({ hasText: 'Kontak diperbaiki' }).count()).toBe(1);
    expect(world.db.prepare(`SELECT email FROM respondents WHERE name = 'Gita'`).pluck().get()).toBe('gita.baru@example.id');
    await context.close();
  });

  it('uploads corrected contacts from a phone and shows the per-row report; axe clean', async () => {
    world.db.prepare(`UPDATE messages SET state = 'failed' WHERE invitation_id = (SELECT i.id FROM invitations i JOIN respondents r ON r.id = i.respondent_id WHERE r.name = 'Dodi')`).run();
    const dodi = world.db.prepare(`SELECT id FROM respondents WHERE name = 'Dodi'`).pluck().get() as number;
    const context = await phoneContext(browser);
    const page = await context.newPage();
    await openSignedIn(page, '/staff/monitoring/SPI-TEST/agencies/PROV-A', /\/agencies\/PROV-A$/);
    await page.getByRole('link', { name: 'Unggah kontak yang sudah diperbaiki (CSV atau XLSX)' }).click();
    await page.getByRole('heading', { name: /Unggah kontak yang diperbaiki/ }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByLabel('Berkas').setInputFiles({ name: 'kontak.csv', mimeType: 'text/csv', buffer: Buffer.from(`respondent_id;email;phone\n${dodi};dodi.benar@example.id;\n999999;x@example.id;\n`) });
    await page.getByRole('button', { name: 'Unggah dan kirim ulang undangan' }).click();
    await page.getByRole('status').filter({ hasText: '2 baris dibaca: 1 undangan dikirim ulang' }).waitFor();
    expect(await page.getByText('line 3, column respondent_id: no respondent 999999 in PROV-A for this survey').count()).toBe(1);
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(world.db.prepare(`SELECT email FROM respondents WHERE id = ?`).pluck().get(dodi)).toBe('dodi.benar@example.id');
    await context.close();
  });

  it('withdraws a respondent from the sample with a reason, lists them, and puts them back; axe clean', async () => {
    const context = await phoneContext(browser);
    const page = await context.newPage();
    await openSignedIn(page, '/staff/monitoring/SPI-TEST/agencies/PROV-A', /\/agencies\/PROV-A$/);
    await page.getByRole('row', { name: /Fajar/ }).getByRole('link', { name: 'Tarik dari sampel' }).click();
    await page.getByRole('heading', { name: 'Tarik Fajar dari sampel?' }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByLabel('Alasan').fill('Salah data');
    await page.getByRole('button', { name: 'Ya, tarik dari sampel' }).click();
    await page.waitForURL(/withdrawn=1$/);
    expect(await page.getByRole('status').filter({ hasText: 'Responden ditarik dari sampel' }).count()).toBe(1);
    await page.getByRole('heading', { name: 'Ditarik dari sampel (1)' }).waitFor();
    expect(await page.getByRole('cell', { name: 'Salah data' }).count()).toBe(1);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Kembalikan ke sampel: Fajar' }).click();
    await page.waitForURL(/reinstated=1$/);
    expect(await page.getByRole('heading', { name: /Ditarik dari sampel/ }).count()).toBe(0);
    expect(world.db.prepare(`SELECT COUNT(*) FROM invitations WHERE withdrawn_at IS NOT NULL`).pluck().get()).toBe(0);
    await context.close();
  });

  it('adds a respondent by hand on a phone: labelled fields, errors tied to them; axe clean', async () => {
    const context = await phoneContext(browser);
    const page = await context.newPage();
    await openSignedIn(page, '/staff/monitoring/SPI-TEST/agencies/KOTA-B', /\/agencies\/KOTA-B$/);
    await page.getByRole('link', { name: 'Tambah responden' }).click();
    await page.getByRole('heading', { name: 'Tambah responden: Kota B' }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByLabel('Nama').fill('Joko Baru');
    await page.getByLabel('Email').fill('joko@gmail');
    await page.getByRole('button', { name: 'Tambah responden' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByLabel('Email').fill('joko@example.id');
    await page.getByLabel('Unit kerja').selectOption('Dinas Tiga');
    await page.getByRole('button', { name: 'Tambah responden' }).click();
    await page.waitForURL(/added=email$/);
    expect(await page.getByRole('status').filter({ hasText: 'Responden ditambahkan' }).count()).toBe(1);
    expect(world.db.prepare(`SELECT u.name FROM respondents r JOIN agency_units u ON u.id = r.unit_id WHERE r.name = 'Joko Baru'`).pluck().get()).toBe('Dinas Tiga');
    await context.close();
  });

  it('moves a respondent to the right unit from their details form; axe clean', async () => {
    const dodi = world.db.prepare(`SELECT id FROM respondents WHERE name = 'Dodi'`).pluck().get() as number;
    const context = await phoneContext(browser);
    const page = await context.newPage();
    await openSignedIn(page, `/staff/monitoring/SPI-TEST/agencies/PROV-A/respondents/${dodi}/details`, /\/details$/);
    await page.getByRole('heading', { name: 'Ubah data Dodi' }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByLabel('Unit kerja').selectOption('Dinas Dua');
    await page.getByRole('button', { name: 'Simpan data' }).click();
    await page.waitForURL(/changed=1$/);
    expect(await page.getByRole('status').filter({ hasText: 'Data responden disimpan.' }).count()).toBe(1);
    expect(world.db.prepare(`SELECT u.name FROM respondents r JOIN agency_units u ON u.id = r.unit_id WHERE r.id = ?`).pluck().get(dodi)).toBe('Dinas Dua');
    await context.close();
  });

  it('replacing a sent link asks for a labelled confirmation first; axe clean', async () => {
    const context = await phoneContext(browser);
    const page = await context.newPage();
    const budi = world.db.prepare(`SELECT id FROM respondents WHERE name = 'Budi'`).pluck().get() as number;
    await openSignedIn(page, `/staff/monitoring/SPI-TEST/agencies/PROV-A/respondents/${budi}/contact`, /\/contact$/);
    const confirmation = page.getByLabel('Saya paham: tautan lama berhenti berlaku dan jawaban yang belum dikirim dihapus.');
    expect(await confirmation.isChecked()).toBe(false);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await confirmation.check();
    await page.getByRole('button', { name: 'Cabut tautan lama dan kirim tautan baru' }).click();
    await page.waitForURL(/resent=/);
    expect(await page.getByRole('status').filter({ hasText: 'Kontak diperbaiki' }).count()).toBe(1);
    await context.close();
  });
});
