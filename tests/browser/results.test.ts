import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitQuestionnaire } from '../../server/answering/service.js';
import { addStaff } from '../../server/staff/service.js';
import { changeSurveyStatus } from '../../server/surveys/service.js';
import { completeInternalAnswers, createWorld, type World, serveWorld } from '../helpers.js';
import { chromiumAvailable, launchChromium, openSignedIn, phoneContext, seriousAxeViolations } from './chromium.js';

let browser: Browser;
let world: World;
let served: Awaited<ReturnType<typeof serveWorld>> | undefined;
let baseUrl: string;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  browser = await launchChromium();
  world = await createWorld();
  await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
  const context = { db: world.db, clock: world.clock, timeZone: 'Asia/Jakarta' };
  submitQuestionnaire(context, world.tokens.get('Ani')!, completeInternalAnswers());
  submitQuestionnaire(context, world.tokens.get('Budi')!, { ...completeInternalAnswers(), I_TR_1: '2' });
  const { importResponses } = await import('../../server/answering/paperEntry.js');
  await importResponses(world.db, world.clock, 'Asia/Jakarta', 'SPI-TEST', Buffer.from('agency_code,group,entry_id,duration_seconds,E_TR_1\nPROV-A,external,E1,10,4\n')); // a speeder, for the review table
  served = await serveWorld(world);
  baseUrl = served.baseUrl;
});
afterAll(async () => {
  await browser?.close();
  await served?.close();
  world?.cleanup();
});

describe.skipIf(!chromiumAvailable)('results pages in Chromium', () => {
  it('sign in, open the agency page: chart and table present, axe clean on every results page', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 }, bypassCSP: true });
    context.setDefaultTimeout(8_000);
    const page = await context.newPage();
    await openSignedIn(page, `${baseUrl}/staff/results/SPI-TEST/agencies/PROV-A`, /\/staff\/results\/SPI-TEST\/agencies\/PROV-A$/);
    const chart = page.getByRole('img', { name: /Skor dimensi dibanding rata-rata nasional: Pegawai/ });
    expect(await chart.count()).toBe(1);
    expect(await chart.boundingBox()).not.toBeNull();
    expect(await page.locator('table').first().isVisible()).toBe(true);
    expect(await page.getByRole('columnheader', { name: 'Dimensi' }).count()).toBeGreaterThan(0);
    const audited: Record<string, unknown> = { agency: await seriousAxeViolations(page) };
    await page.getByRole('link', { name: 'Bagaimana angka ini dihitung?' }).click();
    audited.method = await seriousAxeViolations(page);
    await page.goto(`${baseUrl}/staff/results/SPI-TEST`);
    audited.overview = await seriousAxeViolations(page);
    await page.goto(`${baseUrl}/staff`);
    audited.home = await seriousAxeViolations(page);
    await page.goto(`${baseUrl}/staff/results/SPI-TEST/review`);
    expect(await page.getByRole('button', { name: 'Hapus tanda otomatis' }).count()).toBe(1);
    audited.review = await seriousAxeViolations(page);
    await page.goto(`${baseUrl}/staff/agencies`);
    expect(await page.getByRole('cell', { name: 'Tanpa zona (Asia/Jakarta)' }).count()).toBe(2);
    audited.agencies = await seriousAxeViolations(page);
    expect(audited).toEqual({ agency: [], method: [], overview: [], home: [], review: [], agencies: [] });

    // and the sign-in page on a phone
    const phone = await phoneContext(browser);
    const phonePage = await phone.newPage();
    await phonePage.goto(`${baseUrl}/staff/login`);
    expect(await seriousAxeViolations(phonePage)).toEqual([]);
    await phone.close();
    await context.close();
  });

  it('plans a follow-up action from the agency page by its labels, sees it listed, and deletes it after a confirmation; axe clean on each page', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 }, bypassCSP: true });
    context.setDefaultTimeout(8_000);
    const page = await context.newPage();
    await openSignedIn(page, `${baseUrl}/staff/results/SPI-TEST/agencies/KOTA-B`, /\/agencies\/KOTA-B$/);
    await page.getByRole('link', { name: 'Tambah tindak lanjut' }).click();
    await page.waitForURL(/\/actions\/new$/);
    const audited: Record<string, unknown> = { form: await seriousAxeViolations(page) };
    await page.getByLabel('Tindakan').fill('Umumkan standar biaya di semua loket');
    await page.getByLabel('Dimensi').selectOption({ label: 'Transparansi' });
    await page.getByLabel('Penanggung jawab').fill('Dinas Tiga');
    await page.getByLabel('Tenggat').fill('2026-10-31');
    await page.getByRole('button', { name: 'Tambahkan' }).click();
    await page.waitForURL(/\/agencies\/KOTA-B\?action=added/);
    expect(await page.getByRole('status').filter({ hasText: 'Tindak lanjut ditambahkan.' }).count()).toBe(1);
    const row = page.getByRole('row', { name: /Umumkan standar biaya di semua loket/ });
    expect(await row.getByRole('cell', { name: 'Transparansi' }).count()).toBe(1);
    audited.agency = await seriousAxeViolations(page);

    await page.goto(`${baseUrl}/staff/results/SPI-TEST/actions`);
    audited.list = await seriousAxeViolations(page);
    await page.getByRole('link', { name: 'Umumkan standar biaya di semua loket' }).click();
    await page.getByRole('link', { name: 'Hapus' }).click();
    audited.confirmation = await seriousAxeViolations(page);
    await page.getByRole('button', { name: 'Ya, hapus' }).click();
    await page.waitForURL(/\?action=deleted/);
    expect(await page.getByRole('row', { name: /Umumkan standar biaya/ }).count()).toBe(0);
    expect(audited).toEqual({ form: [], agency: [], list: [], confirmation: [] });
    await context.close();
  });

  it('publishes the closed round after its confirmation; the public page reads on a phone, axe clean', async () => {
    changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'closed');
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 }, bypassCSP: true });
    context.setDefaultTimeout(8_000);
    const page = await context.newPage();
    await openSignedIn(page, `${baseUrl}/staff/results/SPI-TEST`, /\/staff\/results\/SPI-TEST$/);
    await page.getByRole('link', { name: 'Publikasi hasil' }).click();
    const audited: Record<string, unknown> = { confirmation: await seriousAxeViolations(page) };
    await page.getByRole('button', { name: 'Terbitkan di /hasil/SPI-TEST' }).click();
    await page.getByRole('link', { name: 'Lihat halaman publik' }).click();
    await page.waitForURL(/\/hasil\/SPI-TEST$/);
    await context.close();

    const phone = await phoneContext(browser);
    const publicPage = await phone.newPage();
    await publicPage.goto(`${baseUrl}/hasil/SPI-TEST`);
    expect(await publicPage.getByRole('columnheader', { name: 'Peringkat' }).count()).toBe(1);
    expect(await publicPage.getByRole('row', { name: /Provinsi A/ }).count()).toBe(1);
    audited.public = await seriousAxeViolations(publicPage);
    // nothing spills sideways on a 360-pixel screen but the table, which scrolls in its own frame
    expect(await publicPage.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await publicPage.goto(`${baseUrl}/hasil`);
    audited.index = await seriousAxeViolations(publicPage);
    expect(audited).toEqual({ confirmation: [], public: [], index: [] });
    await phone.close();
  });

  it('erases the closed round\'s personal data by its labels, after the code typed wrong once; axe clean on each page', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 }, bypassCSP: true });
    context.setDefaultTimeout(8_000);
    const page = await context.newPage();
    await openSignedIn(page, `${baseUrl}/staff/surveys/SPI-TEST/manage`, /\/manage$/);
    await page.getByRole('link', { name: 'Hapus data pribadi responden' }).click();
    await page.waitForURL(/\/erase$/);
    const audited: Record<string, unknown> = { confirmation: await seriousAxeViolations(page) };
    const code = page.getByLabel('Ketik kode survei (SPI-TEST) untuk mengonfirmasi');
    await code.fill('SPI TEST');
    await page.getByRole('button', { name: 'Hapus data pribadi' }).click();
    await page.getByText('Ketik kode survei persis seperti tertulis: SPI-TEST.').waitFor();
    expect(await code.getAttribute('aria-invalid')).toBe('true');
    audited.refused = await seriousAxeViolations(page);
    await code.fill('SPI-TEST');
    // held back for a look (the form's submission is cancelled after the page's own handler ran):
    // while it runs, the page says so and the button cannot be pressed twice
    await page.evaluate(() => document.querySelector('form[data-busy]')!.addEventListener('submit', (event) => event.preventDefault()));
    await page.getByRole('button', { name: 'Hapus data pribadi' }).click();
    await page.getByText('Menghapus… Untuk putaran nasional ini dapat memakan waktu hingga satu menit').waitFor();
    expect(await page.getByRole('button', { name: 'Hapus data pribadi' }).isDisabled()).toBe(true);
    await page.evaluate(() => (document.querySelector('form[data-busy]') as HTMLFormElement).submit());
    await page.waitForURL(/\/manage\?erased=7$/);
    await page.getByRole('status').getByText('Data pribadi 7 responden telah dihapus.').waitFor();
    expect(await page.getByRole('button', { name: 'Buka survei' }).count()).toBe(0);
    audited.done = await seriousAxeViolations(page);
    expect(audited).toEqual({ confirmation: [], refused: [], done: [] });
    expect(world.db.prepare(`SELECT COUNT(*) FROM respondents WHERE email IS NOT NULL OR phone IS NOT NULL OR name <> ''`).pluck().get()).toBe(0);
    await context.close();
  });
});
