import type { SessionEvent } from '@longhand/protocol';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, saveFailure, signIn, type Browser } from './support/browser.js';
import { ensureConsoleBuilt } from './support/console-build.js';
import { startConsoleServer, type ConsoleServer } from './support/console-server.js';
import { ASKING_TOOLSET, WEATHER_TOOL, demoScript, demoToolOutput } from './support/demo.js';
import { expectedIds, readTimeline } from './support/timeline.js';

// A person at the console, in real headless Chromium, against a real server whose model is
// scripted (see support/demo.ts): every step goes through the pages, nothing through the API.
let server: ConsoleServer;
let browser: Browser;
let page: Page;
let sessionId = '';

beforeAll(async () => {
  const dir = await ensureConsoleBuilt();
  server = await startConsoleServer({
    consoleDir: dir,
    script: demoScript,
    toolOutput: demoToolOutput,
    runtime: { harness: { maxRetries: 2, backoffMs: () => 50 } },
  });
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

const history = async () => (await server.api('GET', `/v1/sessions/${sessionId}/events?limit=1000`)).data as SessionEvent[];
const timeline = () => page.getByRole('feed', { name: 'Session timeline' });

async function send(text: string) {
  await page.getByLabel('Message to the agent').fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

describe('the console in a browser', { timeout: 90_000 }, () => {
  it('tells a wrong key apart, then signs in with a right one', async () => {
    await page.goto(`${server.url}/`);
    await page.getByLabel('API key').fill('lh_not_a_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('401');
    expect(await page.getByLabel('API key').getAttribute('aria-invalid')).toBe('true');
    await signIn(page, server.url, server.key);
    expect(await page.evaluate(() => localStorage.getItem('longhand.apiKey'))).toBe(server.key);
    await page.reload();
    await page.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor();
  });

  it('creates an environment and an agent through their forms', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Environments' }).click();
    await page.getByRole('link', { name: 'New environment' }).click();
    await page.getByLabel('Name').fill('sandbox');
    await page.getByRole('button', { name: 'Create environment' }).click();
    await page.getByRole('link', { name: 'sandbox' }).waitFor();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('link', { name: 'New agent' }).click();
    await page.getByLabel('Name').fill('researcher');
    await page.getByLabel('System prompt').fill('You research.');
    await page.getByLabel('Tools (JSON list)').fill(JSON.stringify([ASKING_TOOLSET, WEATHER_TOOL]));
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('heading', { name: /researcher\s+v1/ }).waitFor();
    const { data: agents } = await server.api('GET', '/v1/agents');
    expect(agents.map((agent: { name: string }) => agent.name)).toEqual(['researcher']);
  });

  it('starts a session and shows the answer to a message as it arrives, rendered as Markdown', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sessions' }).click();
    await page.getByRole('button', { name: 'New session' }).click();
    await page.locator('#new-session-agent').selectOption({ label: 'researcher (v1)' });
    await page.getByLabel('Title (optional)').fill('Disk check');
    await page.getByRole('button', { name: 'Create session' }).click();
    await page.getByRole('heading', { name: 'Disk check', level: 1 }).waitFor();
    sessionId = page.url().split('/sessions/')[1]!;
    await page.locator('.connection[data-phase="live"]').waitFor();

    await send('Outline the quarterly report');
    await timeline().getByRole('heading', { name: 'Plan' }).waitFor();
    await expect.poll(() => timeline().locator('strong', { hasText: 'Outline the quarterly report' }).count()).toBe(1);
    await timeline().getByText('Idle: turn ended').waitFor();
    // The user message was streamed twice (queued, then processed) and shows once.
    expect(await timeline().locator('.message.from-user').count()).toBe(1);
  });

  it('shows markup in a message as text and never runs it', async () => {
    await send('answer with html');
    await timeline().getByText('<script>window.__pwned = true</script>', { exact: false }).waitFor();
    expect(await page.evaluate(() => (window as { __pwned?: boolean }).__pwned)).toBeUndefined();
    expect(await timeline().locator('.message b, .message script').count()).toBe(0);
  });

  it('asks before running a tool: approving runs it and shows its folded output', async () => {
    await send('How much disk is left? Use bash.');
    const confirm = page.getByRole('region', { name: 'Confirm bash' });
    await confirm.waitFor();
    await expect.poll(() => page.getByRole('link', { name: /Timeline \(1 waiting\)/ }).count()).toBe(1);
    await confirm.getByRole('button', { name: 'Approve' }).click();
    await confirm.waitFor({ state: 'detached' });
    const card = timeline().locator('.tool-card').filter({ hasText: 'You approved this call.' });
    await card.getByText('Filesystem', { exact: false }).waitFor();
    await card.getByRole('button', { name: /Show all \(32 lines/ }).click();
    await card.getByText('log line 30', { exact: false }).waitFor();
    await timeline().locator('.message.from-agent strong', { hasText: 'workspace' }).waitFor();
    expect(server.tools.calls.map((call) => call.name)).toEqual(['bash']);
  });

  it('denies a tool call with a reason that reaches the agent', async () => {
    await send('Run bash once more');
    const confirm = page.getByRole('region', { name: 'Confirm bash' });
    await confirm.getByLabel('Reason, if you deny (sent to the agent)').fill('not on a Friday');
    await confirm.getByRole('button', { name: 'Deny' }).click();
    await timeline().getByText('You denied this call: “not on a Friday”').waitFor();
    await expect.poll(async () => (await history()).some((event) => event.type === 'user.tool_confirmation' && event.result === 'deny' && event.deny_message === 'not on a Friday')).toBe(true);
    expect(server.tools.calls).toHaveLength(1);
  });

  it('answers a custom tool call with a JSON result, refusing what is not JSON', async () => {
    await send('What is the weather in Lisbon?');
    const answer = page.getByRole('region', { name: 'Answer get_weather' });
    await answer.getByLabel('Result (JSON)').fill('{ "sky": sunny }');
    await answer.getByRole('button', { name: 'Send result' }).click();
    await answer.getByText('The result must be JSON', { exact: false }).waitFor();
    await answer.getByLabel('Result (JSON)').fill('{ "sky": "sunny", "celsius": 24 }');
    await answer.getByRole('button', { name: 'Send result' }).click();
    await answer.waitFor({ state: 'detached' });
    await timeline().locator('.tool-card').filter({ hasText: 'get_weather' }).getByText('{"sky":"sunny","celsius":24}').waitFor();
    await timeline().getByText('"celsius":24', { exact: false }).last().waitFor();
    const results = (await history()).filter((event) => event.type === 'user.custom_tool_result');
    expect(results).toHaveLength(1);
  });

  it('interrupts a turn while its answer is still being written', async () => {
    await send('Take it slow this time');
    const preview = timeline().locator('.is-preview');
    await preview.waitFor();
    const first = (await preview.textContent())?.length ?? 0;
    await expect.poll(async () => (await preview.textContent())?.length ?? 0).toBeGreaterThan(first);
    await page.getByRole('button', { name: 'Interrupt' }).click();
    await timeline().getByText('You interrupted the agent.').waitFor();
    await expect.poll(async () => (await history()).at(-1)?.type).toBe('session.status_idle');
    await preview.waitFor({ state: 'detached' });
    expect(await page.getByRole('button', { name: 'Interrupt' }).isDisabled()).toBe(true);
  });

  it('shows model failures with their retry state until the retries run out', async () => {
    await send('this one will fail');
    await timeline().getByText('Idle: retries exhausted').waitFor();
    const errors = timeline().locator('.error-row');
    const states = await errors.locator('.chip').allTextContents();
    expect(states.at(-1)).toBe('retries exhausted');
    expect(states.slice(0, -1).every((state) => state === 'retrying')).toBe(true);
    const logged = (await history()).filter((event) => event.type === 'session.error');
    expect(await errors.count()).toBe(logged.length);
    expect(await errors.first().textContent()).toContain('the scripted model is down');
  });

  it('shows every event of the session once, and nothing it does not have', async () => {
    const { rows, setSize } = await readTimeline(page);
    expect(rows).toHaveLength(setSize);
    const shown = rows.flatMap((row) => row.ids);
    expect(new Set(shown).size).toBe(shown.length);
    expect([...shown].sort()).toEqual(expectedIds(await history(), sessionId).sort());
  });

  it('charts tokens and cost from the model requests', async () => {
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('img', { name: 'Tokens and cost over time' }).waitFor();
    const requests = (await history()).filter((event) => event.type === 'span.model_request_end').length;
    const stat = page.locator('.stats div').filter({ hasText: 'Model requests' }).locator('dd');
    expect(Number(await stat.textContent())).toBe(requests);
    expect(await page.locator('svg.chart rect.bar').count()).toBe(requests);
  });

  it('says plainly that the workspace is not available on a server without sandboxes', async () => {
    // This server runs its tools as plain functions, with no sandbox, so it keeps no workspaces
    // (browser-workspace.test.ts browses a real one).
    const probe = await fetch(`${server.url}/v1/sessions/${sessionId}/workspace/files`, { headers: { 'x-api-key': server.key } });
    expect(probe.status).toBe(404);
    const { error } = (await probe.json()) as { error: { type: string; message: string } };
    expect(error).toEqual({ type: 'not_found_error', message: 'this server keeps no session workspaces (it runs no sandboxes)' });
    await page.getByRole('link', { name: 'Workspace' }).click();
    const notice = page.getByRole('status').filter({ has: page.getByRole('heading', { name: 'Workspace not available' }) });
    await notice.waitFor();
    expect(await notice.textContent()).toContain(error.message);
    expect(await page.getByRole('list', { name: 'Files' }).count()).toBe(0);
  });

  it('lists sessions live, filtered by status and agent and searched by title and metadata', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sessions' }).click();
    await page.locator(`tr[data-session-id="${sessionId}"]`).waitFor();
    const { data: agents } = await server.api('GET', '/v1/agents');
    const { data: environments } = await server.api('GET', '/v1/environments');
    const other = await server.api('POST', '/v1/sessions', { agent: agents[0].id, environment_id: environments[0].id, title: 'Nightly digest', metadata: { team: 'growth' } });
    // No reload: the list refreshes by itself.
    await page.locator(`tr[data-session-id="${other.id}"]`).waitFor({ timeout: 15_000 });
    await page.getByLabel('Search titles and metadata').fill('team:growth');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await page.getByLabel('Search titles and metadata').fill('disk');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator(`tr[data-session-id="${sessionId}"]`).count()).toBe(1);
    await page.getByLabel('Search titles and metadata').fill('');
    await page.getByLabel('Status').selectOption('running');
    await page.getByText('No sessions match these filters.').waitFor();
    await page.getByLabel('Status').selectOption('idle');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(2);
    const writer = await server.api('POST', '/v1/agents', { name: 'writer', model: 'claude-haiku-4-5' });
    const written = await server.api('POST', '/v1/sessions', { agent: writer.id, environment_id: environments[0].id, title: 'Release notes' });
    await page.getByLabel('Status').selectOption('');
    await page.locator(`tr[data-session-id="${written.id}"]`).waitFor({ timeout: 15_000 });
    await page.locator('#filter-agent').selectOption({ label: 'writer' });
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator(`tr[data-session-id="${written.id}"] td[data-label="Agent"]`).textContent()).toBe('writer');
    await page.locator('#filter-agent').selectOption({ label: 'researcher' });
    await expect.poll(() => page.locator('tbody tr').count()).toBe(2);
    expect(await page.locator(`tr[data-session-id="${sessionId}"] td[data-label="Cost"]`).textContent()).toMatch(/^\$\d+\.\d\d$/);
  });

  it('fits a phone: the session page at 390 pixels wide has no sideways scrolling and keeps the composer', async () => {
    const narrow = await browser.page({ width: 390, height: 844 });
    try {
      for (const tab of ['', '/usage', '/workspace', '/checkpoints']) {
        await narrow.goto(`${server.url}/sessions/${sessionId}${tab}`);
        await narrow.getByRole('heading', { name: 'Disk check', level: 1 }).waitFor();
        await narrow.locator('.connection[data-phase="live"]').waitFor();
        expect(await narrow.evaluate(() => document.documentElement.scrollWidth), tab).toBeLessThanOrEqual(390);
      }
      await narrow.goto(`${server.url}/sessions/${sessionId}`);
      await narrow.getByRole('feed', { name: 'Session timeline' }).locator('article').first().waitFor();
      expect(await narrow.getByLabel('Message to the agent').isVisible()).toBe(true);
    } finally {
      await narrow.close();
    }
  });

  it('archives, then deletes a session, each after a confirmation', async () => {
    await page.locator(`tr[data-session-id="${sessionId}"] a`).click();
    await page.getByRole('button', { name: 'Archive' }).click();
    const dialog = page.getByRole('dialog', { name: 'Archive this session?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await server.api('GET', `/v1/sessions/${sessionId}`)).archived_at).toBeNull();
    await page.getByRole('button', { name: 'Archive' }).click();
    await dialog.getByRole('button', { name: 'Archive session' }).click();
    await page.locator('.badge', { hasText: 'archived' }).waitFor();
    expect(await page.getByLabel('Message to the agent').isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete this session?' }).getByRole('button', { name: 'Delete session' }).click();
    await page.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor();
    const gone = await fetch(`${server.url}/v1/sessions/${sessionId}`, { headers: { 'x-api-key': server.key } });
    expect(gone.status).toBe(404);
  });

  it('signs out, forgetting the key', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('longhand.apiKey'))).toBeNull();
  });
});
