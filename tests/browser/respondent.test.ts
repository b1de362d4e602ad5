import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWorld, type World, serveWorld } from '../helpers.js';
import { chromiumAvailable, launchChromium, phoneContext, seriousAxeViolations } from './chromium.js';

let browser: Browser;
let world: World;
let served: Awaited<ReturnType<typeof serveWorld>> | undefined;
let baseUrl: string;

beforeAll(async () => {
  if (chromiumAvailable) browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  world = await createWorld();
  served = await serveWorld(world);
  baseUrl = served.baseUrl;
});
afterEach(async () => {
  await served?.close();
  world.cleanup();
});

const link = (name = 'Ani') => `${baseUrl}/r/${world.tokens.get(name)!}`;
const draftOf = (name = 'Ani') =>
  JSON.parse((world.db.prepare(`SELECT draft_json FROM invitations i JOIN respondents r ON r.id = i.respondent_id WHERE r.name = ?`).pluck().get(name) as string | null) ?? '{}');

async function choose(page: Page, item: string, value: string): Promise<void> {
  await page.locator(`[name="q:${item}"][value="${value}"]`).check();
}

describe.skipIf(!chromiumAvailable)('respondent pages in Chromium on a phone (360×740)', () => {
  it('with JavaScript: live skip logic, autosave, reload and resume, English, submit and receipt', async () => {
    const context = await phoneContext(browser);
    const page = await context.newPage();
    await page.goto(link());
    await page.getByRole('link', { name: 'English' }).click();
    await expect.poll(() => page.locator('h2').first().textContent()).toBe('Confidentiality');
    await page.getByRole('link', { name: 'Start' }).click();
    expect(await page.locator('.progress-text').textContent()).toBe('Part 1 of 3');

    // the gated item on this page appears as soon as the gate says "yes", without a reload
    const gated = page.locator('#item-I_PBJ_SAME');
    expect(await gated.isVisible()).toBe(false);
    await choose(page, 'I_TR_1', '3');
    await choose(page, 'I_GATE', 'yes');
    expect(await gated.isVisible()).toBe(true);
    await choose(page, 'I_PBJ_SAME', '2');
    await page.getByText('Answers saved.').waitFor();
    await expect.poll(() => draftOf()).toEqual({ I_TR_1: '3', I_GATE: 'yes', I_PBJ_SAME: '2' });

    // a refresh loses nothing
    await page.reload();
    expect(await page.locator('[name="q:I_PBJ_SAME"][value="2"]').isChecked()).toBe(true);
    expect(await page.locator('[name="q:I_TR_1"][value="3"]').isChecked()).toBe(true);

    // the options are big enough for thumbs and the page does not scroll sideways
    const optionBox = await page.locator('.option').first().boundingBox();
    expect(optionBox!.height).toBeGreaterThanOrEqual(44);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

    await choose(page, 'I_TR_2', '4');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/\/p\/2$/);
    await choose(page, 'I_PBJ_1', '1');
    await page.locator('[name="q:I_CHANNELS"][value="lapor"]').check();

    // opening the same link on another device resumes where the respondent left off
    const otherDevice = await phoneContext(browser);
    const otherPage = await otherDevice.newPage();
    await expect.poll(() => draftOf()).toMatchObject({ I_PBJ_1: '1', I_CHANNELS: ['lapor'] });
    await otherPage.goto(link());
    await otherPage.getByRole('link', { name: 'Continue' }).click();
    await otherPage.waitForURL(/\/p\/3$/);
    await otherDevice.close();

    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/\/p\/3$/);
    await page.getByLabel(/How many years/).fill('12');
    await page.getByRole('button', { name: 'Review & submit' }).click();
    await page.waitForURL(/\/review$/);
    expect(await page.getByText('All required questions are answered.').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Submit answers' }).click();
    await page.waitForURL(/\/thanks$/);
    expect(await page.locator('[data-receipt]').textContent()).toMatch(/^[A-Z0-9]{5}-[A-Z0-9]{5}$/);
    expect(await page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('integritas:')))).toEqual([]);
    expect(world.db.prepare('SELECT COUNT(*) FROM responses').pluck().get()).toBe(1);
    expect(world.db.prepare(`SELECT value_json FROM response_answers WHERE item_code = 'I_CHANNELS'`).pluck().get()).toBe('["lapor"]');
    await context.close();
  });

  it('with a dropped connection: unsent answers stay on the device, survive a reload and are sent when it returns', async () => {
    const context = await phoneContext(browser);
    const page = await context.newPage();
    await page.goto(`${link()}/p/1`);
    // the API cannot be reached, as on a phone that lost its data connection
    await page.route('**/api/v1/respond/**', (route) => route.abort('internetdisconnected'));
    await choose(page, 'I_TR_1', '2');
    await choose(page, 'I_TR_2', '1');
    await page.getByText(/No connection|Tidak ada koneksi/).waitFor();
    expect(draftOf()).toEqual({});
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem(Object.keys(localStorage).find((key) => key.startsWith('integritas:'))!)!));
    expect(stored.pending).toEqual({ I_TR_1: '2', I_TR_2: '1' });

    await page.reload();
    expect(await page.locator('[name="q:I_TR_1"][value="2"]').isChecked()).toBe(true);
    expect(await page.locator('[name="q:I_TR_2"][value="1"]').isChecked()).toBe(true);

    await page.unroute('**/api/v1/respond/**');
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await expect.poll(() => draftOf(), { timeout: 10_000 }).toEqual({ I_TR_1: '2', I_TR_2: '1' });
    await context.close();
  });

  it('with a read-only disk on the server: 503, the answers wait on the device with a clear message, and are saved when the disk recovers', async () => {
    const context = await phoneContext(browser);
    const page = await context.newPage();
    await page.goto(`${link()}/p/1`);
    world.db.pragma('query_only = ON'); // the server's storage refuses writes (SQLITE_READONLY)
    await choose(page, 'I_TR_1', '4');
    await page.getByText('Server sedang terganggu').waitFor();
    expect(draftOf()).toEqual({});
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem(Object.keys(localStorage).find((key) => key.startsWith('integritas:'))!)!));
    expect(stored.pending).toEqual({ I_TR_1: '4' });

    world.db.pragma('query_only = OFF');
    // retried on its own (every 5 s), without the respondent doing anything
    await expect.poll(() => draftOf(), { timeout: 15_000 }).toEqual({ I_TR_1: '4' });
    await page.getByText('Jawaban tersimpan').or(page.getByText('Answers saved.')).waitFor();
    await context.close();
  });

  it('without JavaScript: the gate keeps the respondent on the page, the review links to what is missing, submit works', async () => {
    const context = await phoneContext(browser, { javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(link('Budi')); // Budi's language is English
    await page.getByRole('link', { name: 'Start' }).click();
    await choose(page, 'I_TR_1', '3');
    await choose(page, 'I_GATE', 'yes');
    expect(await page.locator('#item-I_PBJ_SAME').isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/\/p\/1\?more=1/);
    expect(await page.getByText('Your answers opened more questions').isVisible()).toBe(true);
    await choose(page, 'I_PBJ_SAME', '4');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/\/p\/2$/);
    await choose(page, 'I_PBJ_1', '2');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel(/How many years/).fill('3');
    await page.getByRole('button', { name: 'Review & submit' }).click();
    await page.waitForURL(/\/review$/);
    // I_TR_2 was skipped: the review says so and links to it
    await page.getByRole('link', { name: 'Answer this question' }).click();
    await page.waitForURL(/\/p\/1#item-I_TR_2$/);
    await choose(page, 'I_TR_2', '3');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Review & submit' }).click();
    await page.getByRole('button', { name: 'Submit answers' }).click();
    await page.waitForURL(/\/thanks$/);
    expect(await page.locator('h1').textContent()).toBe('Thank you!');
    expect(world.db.prepare('SELECT COUNT(*) FROM responses').pluck().get()).toBe(1);
    await context.close();
  });

  it('every respondent page passes axe-core with no serious or critical violation', async () => {
    const context = await phoneContext(browser);
    const page = await context.newPage();
    const audited: Record<string, unknown> = {};
    const audit = async (name: string) => {
      audited[name] = await seriousAxeViolations(page);
    };
    await page.goto(link());
    await audit('welcome');
    await page.goto(`${link()}/p/1`);
    await choose(page, 'I_GATE', 'yes');
    await audit('page with a gate open');
    await page.goto(`${link()}/p/3`);
    await page.getByLabel(/Berapa tahun/).fill('99');
    await page.getByRole('button', { name: 'Periksa & kirim' }).click();
    await page.getByText('Angka paling besar 45.').first().waitFor();
    await audit('page with errors');
    await page.goto(`${link()}/review`);
    await audit('review with missing items');
    await page.goto(`${baseUrl}/r/${'x'.repeat(24)}`);
    await audit('unknown link');
    await page.goto(baseUrl);
    await audit('home');
    // a completed questionnaire: thank-you and "already submitted"
    const { submitQuestionnaire } = await import('../../server/answering/service.js');
    submitQuestionnaire({ db: world.db, clock: world.clock, timeZone: 'Asia/Jakarta' }, world.tokens.get('Gita')!, {
      I_TR_1: '1', I_TR_2: '1', I_GATE: 'no', I_YEARS: 1,
    });
    await page.goto(`${link('Gita')}/thanks`);
    await audit('thanks');
    await page.goto(link('Gita'));
    await audit('already submitted');
    world.clock.set('2027-02-01T00:00:00Z');
    await page.goto(link());
    await audit('closed');
    expect(audited).toEqual(Object.fromEntries(Object.keys(audited).map((name) => [name, []])));
    expect(Object.keys(audited)).toHaveLength(9);
    await context.close();
  });
});
