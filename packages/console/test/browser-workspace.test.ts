import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, saveFailure, signIn, unlabelledControls, type Browser } from './support/browser.js';
import { ensureConsoleBuilt } from './support/console-build.js';
import { startConsoleServer, type ConsoleServer } from './support/console-server.js';
import { handsScript, makeHandsSession, runTurn } from './support/hands-script.js';
import { makePng } from './support/png.js';

// The workspace browser against a server with real hands: the scripted agent calls the real
// built-in bash and write tools in a real bubblewrap sandbox, and the page shows what they left
// on disk. Every step in the page goes through what a person would click or type.
let server: ConsoleServer;
let browser: Browser;
let page: Page;
let sessionId = '';

const README = '# Findings\n\nThe numbers are in **reports/**.\n';
const Q3 = '# Q3\n\nRevenue grew by 12 %.\n';
// 4×3 pixels: red on the left half, blue on the right.
const PNG = makePng(4, 3, (x) => (x < 2 ? [255, 0, 0] : [0, 0, 255]));
// Every byte value, NUL included, eight times: a file that must not pass for text.
const BINARY = Buffer.from(Array.from({ length: 2048 }, (_, i) => i % 256));
// `seq 1 120000`: 728,895 bytes, more than the 512 KiB a preview shows.
const BIG_LOG = Array.from({ length: 120_000 }, (_, i) => `${i + 1}\n`).join('');

beforeAll(async () => {
  const dir = await ensureConsoleBuilt();
  server = await startConsoleServer({ consoleDir: dir, script: handsScript, hands: { sandbox: 'bubblewrap' } });
  sessionId = await makeHandsSession(server, 'Build artefacts');
  await runTurn(server, sessionId, [
    { write: '/workspace/README.md', content: README },
    { write: '/workspace/reports/2026/q3.md', content: Q3 },
    { write: '/workspace/reports/summary.csv', content: 'quarter,revenue\nQ3,120\n' },
    {
      bash:
        'mkdir -p /workspace/images /workspace/blobs /workspace/logs' +
        ` && echo ${PNG.toString('base64')} | base64 -d > /workspace/images/chart.png` +
        ` && echo ${BINARY.toString('base64')} | base64 -d > /workspace/blobs/data.bin` +
        ' && seq 1 120000 > /workspace/logs/big.log',
    },
  ]);
  browser = await openBrowser();
  page = await browser.page();
}, 240_000);

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') await saveFailure(page, context.task.name);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const files = () => page.getByRole('list', { name: 'Files' });
const crumbs = () => page.getByRole('navigation', { name: 'Folder' });
const names = () => files().locator('.file-name').allTextContents();
const entry = (name: string) => files().getByRole('button', { name: new RegExp(`^${name.replace(/[.]/g, '\\.')}`) });

async function download(): Promise<Buffer> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
  return readFile((await file.path())!);
}

describe('the workspace of a session with real hands', { timeout: 90_000 }, () => {
  it('lists what the agent wrote, folders first, as the API lists it', async () => {
    await signIn(page, server.url, server.key);
    await page.goto(`${server.url}/sessions/${sessionId}`);
    await page.getByRole('heading', { name: 'Build artefacts', level: 1 }).waitFor();
    await page.getByRole('navigation', { name: 'Session views' }).getByRole('link', { name: 'Workspace' }).click();
    await files().waitFor();
    expect(await names()).toEqual(['blobs/', 'images/', 'logs/', 'reports/', 'README.md']);
    const { data } = await server.api('GET', `/v1/sessions/${sessionId}/workspace/files?path=/workspace`);
    expect(data.map((item: { path: string }) => item.path).sort()).toEqual(
      ['/workspace/README.md', '/workspace/blobs', '/workspace/images', '/workspace/logs', '/workspace/reports'].sort(),
    );
    expect(await entry('README.md').textContent()).toContain(`${README.length} B`);
  });

  it('opens folders from the list and goes back up by the breadcrumbs, with the mouse or the keyboard', async () => {
    await entry('reports/').click();
    await expect.poll(names).toEqual(['2026/', 'summary.csv']);
    await entry('2026/').click();
    await expect.poll(names).toEqual(['q3.md']);
    expect(await crumbs().getByRole('button').allTextContents()).toEqual(['workspace', 'reports', '2026']);
    expect(await crumbs().getByRole('button', { name: '2026' }).getAttribute('aria-current')).toBe('location');
    await crumbs().getByRole('button', { name: 'reports' }).click();
    await expect.poll(names).toEqual(['2026/', 'summary.csv']);
    await crumbs().getByRole('button', { name: 'workspace' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(names).toEqual(['blobs/', 'images/', 'logs/', 'reports/', 'README.md']);
    expect(await crumbs().getByRole('button').allTextContents()).toEqual(['workspace']);
  });

  it('previews a text file as it is on disk', async () => {
    await entry('README.md').click();
    const contents = page.getByLabel('Contents of README.md');
    await contents.waitFor();
    expect(await contents.textContent()).toBe(README);
    expect(await entry('README.md').getAttribute('aria-pressed')).toBe('true');
    // Markdown in a file is shown as written, not rendered.
    expect(await page.locator('.file-preview strong').count()).toBe(0);
  });

  it('shows an image as the image the agent wrote', async () => {
    await entry('images/').click();
    await entry('chart.png').click();
    const image = page.getByRole('img', { name: 'Preview of chart.png' });
    await image.waitFor();
    await expect.poll(() => image.evaluate((element: HTMLImageElement) => element.complete && element.naturalWidth)).toBe(4);
    const pixels = await image.evaluate((element: HTMLImageElement) => {
      const canvas = document.createElement('canvas');
      canvas.width = element.naturalWidth;
      canvas.height = element.naturalHeight;
      const context = canvas.getContext('2d')!;
      context.drawImage(element, 0, 0);
      return [Array.from(context.getImageData(0, 0, 1, 1).data), Array.from(context.getImageData(3, 2, 1, 1).data), canvas.height];
    });
    expect(pixels).toEqual([[255, 0, 0, 255], [0, 0, 255, 255], 3]);
    expect(await download()).toEqual(PNG);
  });

  it('says a binary file has no preview, and downloads its exact bytes', async () => {
    await crumbs().getByRole('button', { name: 'workspace' }).click();
    await entry('blobs/').click();
    await entry('data.bin').click();
    await page.getByText('No preview for this kind of file (application/octet-stream). Download it instead.').waitFor();
    expect(await page.locator('.file-preview pre').count()).toBe(0);
    const bytes = await download();
    expect(bytes.length).toBe(BINARY.length);
    expect(bytes.equals(BINARY)).toBe(true);
  });

  it('shows the first 512 KiB of a large text file, says so, and downloads all of it', async () => {
    await crumbs().getByRole('button', { name: 'workspace' }).click();
    await entry('logs/').click();
    await entry('big.log').click();
    const contents = page.getByLabel('Contents of big.log');
    await contents.waitFor();
    const shown = (await contents.textContent())!;
    expect(shown).toBe(BIG_LOG.slice(0, 512 * 1024));
    await page.getByText('Showing the first 512.0 KB; download the file for the rest.').waitFor();
    expect((await download()).toString('utf8')).toBe(BIG_LOG);
  });

  it('shows files written since the page opened after a refresh, and says when a folder is gone', async () => {
    await crumbs().getByRole('button', { name: 'workspace' }).click();
    await entry('reports/').click();
    await entry('2026/').click();
    await expect.poll(names).toEqual(['q3.md']);
    await runTurn(server, sessionId, [{ write: '/workspace/reports/2026/q4.md', content: '# Q4\n' }]);
    expect(await names()).toEqual(['q3.md']);
    await page.getByRole('button', { name: 'Refresh the file list' }).click();
    await expect.poll(names).toEqual(['q3.md', 'q4.md']);
    await runTurn(server, sessionId, [{ bash: 'rm -r /workspace/reports/2026' }]);
    await page.getByRole('button', { name: 'Refresh the file list' }).click();
    await page.getByRole('alert').filter({ hasText: 'This folder is no longer in the workspace.' }).waitFor();
    await page.getByRole('button', { name: 'Back to the workspace' }).click();
    await expect.poll(names).toEqual(['blobs/', 'images/', 'logs/', 'reports/', 'README.md']);
  });

  it('fits a phone: at 390 pixels wide the list and a preview need no sideways scrolling, and every control has a name', async () => {
    const narrow = await browser.page({ width: 390, height: 844 });
    try {
      await narrow.goto(`${server.url}/sessions/${sessionId}/workspace`);
      await narrow.getByRole('list', { name: 'Files' }).getByRole('button', { name: /^README\.md/ }).click();
      await narrow.getByLabel('Contents of README.md').waitFor();
      expect(await narrow.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      expect(await unlabelledControls(narrow)).toBe(0);
    } finally {
      await narrow.close();
    }
  });
});
