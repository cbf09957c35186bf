import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); no browser is downloaded. */
export const CHROMIUM = process.env.LONGHAND_CHROMIUM ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  /** A new tab of the given width (default 1280×900). */
  page(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/** Starts headless Chromium with a fresh profile (its own `--user-data-dir`). */
export async function openBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set LONGHAND_CHROMIUM`);
  }
  const profile = await mkdtemp(join(tmpdir(), 'longhand-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async page(viewport = { width: 1280, height: 900 }) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in through the sign-in page and waits for the sessions list. */
export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/sessions`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor();
}

/** Keeps a screenshot of a failed test under `.test-results/console/`, to see what the page showed. */
export async function saveFailure(page: Page | undefined, name: string): Promise<void> {
  if (!page) return;
  const dir = join(import.meta.dirname, '..', '..', '..', '..', '.test-results', 'console');
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name.replace(/[^\w-]+/g, '-').slice(0, 80)}.png`), fullPage: true }).catch(() => undefined);
}

/** How many visible-or-not form controls of the page have no accessible name (a label, `aria-label` or button text). */
export async function unlabelledControls(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      [...document.querySelectorAll('input, select, textarea, button')].filter((el) => {
        const control = el as HTMLInputElement;
        if (control.type === 'hidden') return false;
        return !(control.labels?.length || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent?.trim()));
      }).length,
  );
}
