import type { SessionEvent } from '@longhand/protocol';
import type { Script } from '@longhand/harness/testing';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, saveFailure, signIn, type Browser } from './support/browser.js';
import { ensureConsoleBuilt } from './support/console-build.js';
import { startConsoleServer, type ConsoleServer } from './support/console-server.js';
import { makeAgentAndEnvironment } from './support/demo.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { expectedIds, readTimeline } from './support/timeline.js';

// The server restarts (and the network drops) under an open session page: the timeline must
// come back complete, every event once (spec 4.6: open the stream, list history, dedupe by id).
const script: Script = (view) => {
  if (view.lastUserText.includes('slow')) return { text: `Slow answer ${'and more words '.repeat(30)}`, chunks: 30, chunkDelayMs: 100 };
  return { text: `Reply to: ${view.lastUserText}` };
};

let server: ConsoleServer;
let browser: Browser;
let page: Page;
let sessionId = '';

beforeAll(async () => {
  const dir = await ensureConsoleBuilt();
  server = await startConsoleServer({ consoleDir: dir, script });
  const { agentId, environmentId } = await makeAgentAndEnvironment(server);
  sessionId = (await server.api('POST', '/v1/sessions', { agent: agentId, environment_id: environmentId, title: 'Survives restarts' })).id;
  browser = await openBrowser();
  page = await browser.page();
  await signIn(page, server.url, server.key);
  await page.goto(`${server.url}/sessions/${sessionId}`);
  await page.locator('.connection[data-phase="live"]').waitFor();
}, 240_000);

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') await saveFailure(page, context.task.name);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const history = async () => (await server.api('GET', `/v1/sessions/${sessionId}/events?limit=1000`)).data as SessionEvent[];
const timeline = () => page.getByRole('feed', { name: 'Session timeline' });

async function send(text: string) {
  await page.getByLabel('Message to the agent').fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

async function idleAfter(count: number) {
  await expect
    .poll(async () => {
      const events = await history();
      const statuses = events.filter((event) => event.type.startsWith('session.status_'));
      return statuses.at(-1)?.type === 'session.status_idle' ? statuses.filter((event) => event.type === 'session.status_idle').length : 0;
    }, { timeout: 30_000 })
    .toBeGreaterThanOrEqual(count);
}

async function expectCompleteTimeline() {
  await expect
    .poll(async () => {
      const { rows, setSize } = await readTimeline(page);
      const shown = rows.flatMap((row) => row.ids);
      return { complete: rows.length === setSize, duplicates: shown.length - new Set(shown).size, ids: [...shown].sort() };
    }, { timeout: 15_000 })
    .toEqual({ complete: true, duplicates: 0, ids: expectedIds(await history(), sessionId).sort() });
}

describe('reconnecting', { timeout: 90_000 }, () => {
  it('recovers a turn the server restart cut short, with every event once', async () => {
    await send('answer slowly please');
    await timeline().locator('.is-preview').waitFor();
    await server.restart({ downMs: 1000 });
    await page.locator('.connection[data-phase="reconnecting"]').waitFor();
    await page.locator('.connection[data-phase="live"]').waitFor({ timeout: 30_000 });
    await idleAfter(1);
    await timeline().getByText('Slow answer', { exact: false }).first().waitFor();
    await expectCompleteTimeline();
    expect(await timeline().locator('.message.from-user').count()).toBe(1);
  });

  it('follows new events after a restart while idle', async () => {
    await server.restart({ downMs: 500 });
    await page.locator('.connection[data-phase="reconnecting"]').waitFor();
    await page.locator('.connection[data-phase="live"]').waitFor({ timeout: 30_000 });
    await send('are you still there');
    await timeline().getByText('Reply to: are you still there').waitFor();
    await idleAfter(2);
    await expectCompleteTimeline();
  });

  it('catches up on what happened while the network was down', async () => {
    // The page is reached through a proxy that can cut the network: connections are reset and
    // new ones refused, as when Wi-Fi drops; the browser is told it is offline meanwhile.
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(server.url).port) });
    try {
      // Another port is another origin, with its own storage: sign in there too.
      await signIn(page, proxy.url, server.key);
      await page.goto(`${proxy.url}/sessions/${sessionId}`);
      await page.locator('.connection[data-phase="live"]').waitFor();
      proxy.cut();
      await page.context().setOffline(true);
      await page.locator('.connection[data-phase="reconnecting"]').waitFor({ timeout: 20_000 });
      // While the browser is away, another client talks to the session.
      await server.api('POST', `/v1/sessions/${sessionId}/events`, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'sent from elsewhere' }] }] });
      await idleAfter(3);
      proxy.restore();
      await page.context().setOffline(false);
      await page.locator('.connection[data-phase="live"]').waitFor({ timeout: 30_000 });
      await timeline().getByText('Reply to: sent from elsewhere').waitFor();
      await expectCompleteTimeline();
    } finally {
      await page.context().setOffline(false);
      await proxy.close();
    }
  });
});
