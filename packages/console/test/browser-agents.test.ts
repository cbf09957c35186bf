import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, saveFailure, signIn, type Browser } from './support/browser.js';
import { ensureConsoleBuilt } from './support/console-build.js';
import { startConsoleServer, type ConsoleServer } from './support/console-server.js';
import { ASKING_TOOLSET, demoScript } from './support/demo.js';

// Agents and environments, edited through their forms in Chromium against a real server.
let server: ConsoleServer;
let browser: Browser;
let page: Page;
let agentId = '';

beforeAll(async () => {
  const dir = await ensureConsoleBuilt();
  server = await startConsoleServer({ consoleDir: dir, script: demoScript, runtime: { role: 'api' } });
  browser = await openBrowser();
  page = await browser.page();
  await signIn(page, server.url, server.key);
}, 240_000);

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') await saveFailure(page, context.task.name);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('agents and environments in a browser', { timeout: 60_000 }, () => {
  it('shows an error the API reports next to the field its path names, and keeps focus there', async () => {
    await page.goto(`${server.url}/agents/new`);
    await page.getByLabel('Name').fill('analyst');
    await page.getByLabel('Tools (JSON list)').fill(JSON.stringify([{ type: 'agent_toolset_20260401', configs: [{ name: 'bash' }, { name: 'bsh' }] }]));
    await page.getByRole('button', { name: 'Create agent' }).click();
    const error = page.locator('#agent-tools-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('tools[0].configs[1].name must be one of');
    expect(await page.getByLabel('Tools (JSON list)').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Tools (JSON list)').getAttribute('aria-describedby')).toContain('agent-tools-error');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('agent-tools');
    expect(await page.locator('#agent-name-error').count()).toBe(0);
  });

  it('checks JSON and required fields before sending anything', async () => {
    await page.getByLabel('Name').fill('');
    await page.getByLabel('Metadata (JSON object of strings)').fill('[1, 2]');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.locator('#agent-name-error').getByText('An agent needs a name.').waitFor();
    await page.locator('#agent-metadata-error').getByText('Must be a JSON object').waitFor();
    const { data } = await server.api('GET', '/v1/agents');
    expect(data).toEqual([]);
  });

  it('creates the agent once the fields are right', async () => {
    await page.getByLabel('Name').fill('analyst');
    await page.getByLabel('Metadata (JSON object of strings)').fill('{"team": "data"}');
    await page.getByLabel('Tools (JSON list)').fill(JSON.stringify([ASKING_TOOLSET]));
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('heading', { name: /analyst\s+v1/ }).waitFor();
    agentId = page.url().split('/agents/')[1]!;
    expect((await server.api('GET', `/v1/agents/${agentId}`)).metadata).toEqual({ team: 'data' });
  });

  it('edits the agent into a new version and compares the two side by side', async () => {
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('System prompt').fill('Answer with numbers.');
    await page.getByLabel('Metadata (JSON object of strings)').fill('{"tier": "gold"}');
    await page.getByRole('button', { name: 'Save as version 2' }).click();
    await page.getByRole('heading', { name: /analyst\s+v2/ }).waitFor();
    const agent = await server.api('GET', `/v1/agents/${agentId}`);
    expect(agent).toMatchObject({ version: 2, system: 'Answer with numbers.', metadata: { tier: 'gold' } });
    const diff = page.getByRole('region', { name: 'Differences between version 1 and version 2' });
    await diff.waitFor();
    const oldCells = await diff.locator('td.diff-cell.old').allTextContents();
    const newCells = await diff.locator('td.diff-cell.new').allTextContents();
    expect(oldCells.join('\n')).toContain('"system": null');
    expect(newCells.join('\n')).toContain('"system": "Answer with numbers."');
    expect(newCells.join('\n')).toContain('"tier": "gold"');
    await page.getByLabel('Compare version').selectOption('2');
    await diff.waitFor({ state: 'detached' });
    await page.getByText('These versions have the same configuration.').waitFor();
  });

  it('reports a stale edit (someone saved a version meanwhile) on the form', async () => {
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Description').fill('mine');
    await server.api('POST', `/v1/agents/${agentId}`, { version: 2, description: 'theirs' });
    await page.getByRole('button', { name: 'Save as version 3' }).click();
    await page.locator('.form-error').waitFor();
    expect(await page.locator('.form-error').textContent()).toMatch(/version/i);
    expect((await server.api('GET', `/v1/agents/${agentId}`)).description).toBe('theirs');
  });

  it('creates and edits an environment, with errors placed on the package field they name', async () => {
    await page.goto(`${server.url}/environments/new`);
    await page.getByLabel('Name').fill('locked');
    await page.getByLabel('Outbound network').selectOption('limited');
    await page.getByLabel('Allowed hosts (one per line)').fill('api.example.com\npypi.org');
    await page.getByLabel('Allow package managers').check();
    await page.getByLabel('pip').fill(`pandas ${'x'.repeat(300)}`);
    await page.getByRole('button', { name: 'Create environment' }).click();
    const error = page.locator('#env-packages-pip-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('config.packages.pip[1] must be at most 256 characters');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('env-packages-pip');
    await page.getByLabel('pip').fill('pandas numpy');
    await page.getByRole('button', { name: 'Create environment' }).click();
    await page.getByRole('link', { name: 'locked' }).waitFor();
    const { data } = await server.api('GET', '/v1/environments');
    expect(data[0].config).toMatchObject({ networking: { type: 'limited', allowed_hosts: ['api.example.com', 'pypi.org'], allow_package_managers: true }, packages: { pip: ['pandas', 'numpy'] } });

    await page.getByRole('link', { name: 'locked' }).click();
    await page.getByLabel('Description').fill('Only two hosts.');
    await page.getByLabel('Outbound network').selectOption('unrestricted');
    await page.getByRole('button', { name: 'Save environment' }).click();
    await page.getByRole('heading', { name: 'Environments', level: 1 }).waitFor();
    const saved = await server.api('GET', `/v1/environments/${data[0].id}`);
    expect(saved).toMatchObject({ description: 'Only two hosts.', config: { networking: { type: 'unrestricted' } } });
  });

  it('is usable at 390 pixels wide, with labelled controls and no sideways scrolling', async () => {
    const narrow = await browser.page({ width: 390, height: 844 });
    await narrow.goto(`${server.url}/agents/${agentId}`);
    await narrow.getByRole('heading', { name: /analyst/ }).waitFor();
    for (const path of ['/sessions', '/agents', `/agents/${agentId}/edit`, '/environments', '/environments/new']) {
      await narrow.goto(`${server.url}${path}`);
      await narrow.locator('main h1').waitFor();
      expect(await narrow.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(390);
      const unlabelled = await narrow.evaluate(() =>
        [...document.querySelectorAll('input, select, textarea, button')].filter((el) => {
          const control = el as HTMLInputElement;
          if (control.type === 'hidden') return false;
          const named = control.labels?.length || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent?.trim());
          return !named;
        }).length,
      );
      expect(unlabelled, path).toBe(0);
    }
    await narrow.close();
  });
});
