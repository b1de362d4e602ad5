import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Real headless Chromium (Debian's package), found at CHROMIUM_PATH or /usr/bin/chromium.
 * Without it the browser tests are skipped with a loud message, except under CI=true, where a
 * missing browser fails the run. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(chromiumPath);

if (!chromiumAvailable) {
  const message = `Chromium not found at ${chromiumPath}: browser tests cannot run. Install it (apt-get install -y chromium) or set CHROMIUM_PATH.`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n${'!'.repeat(100)}\n!! SKIPPING BROWSER TESTS. ${message}\n${'!'.repeat(100)}\n`);
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A phone: 360×740, touch, mobile. */
export async function phoneContext(browser: Browser, options: { javaScriptEnabled?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    // axe is injected as a script; the pages' own CSP forbids that, rightly.
    bypassCSP: true,
  });
  // fail one step with its location rather than the whole test on its time-out
  context.setDefaultTimeout(8_000);
  return context;
}

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe-core (WCAG 2.x A and AA) on the page; returns the serious and critical violations. */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: axePath });
  const violations = (await page.evaluate(async () => {
    // axe is a global the script tag defined
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations;
  })) as AxeViolation[];
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({ id: violation.id, impact: violation.impact, help: violation.help, nodes: violation.nodes.map((node) => ({ target: node.target })) }));
}

/** Opens `url` as the administrator: the sign-in form comes first, then the page itself. */
export async function openSignedIn(page: Page, url: string, landed: RegExp): Promise<void> {
  await page.goto(url);
  await page.waitForURL(/\/staff\/login/);
  await page.getByLabel('Email').fill('admin@example.id');
  await page.getByLabel('Kata sandi').fill('admin-password-1');
  await page.getByRole('button', { name: 'Masuk' }).click();
  await page.waitForURL(landed);
}
