/**
 * Regenerates docs/screenshots/: every page of the console at 1280 and 390 pixels wide, against
 * a real server with a scripted model and demo data. The server has real hands (bubblewrap
 * sandboxes), so the workspace and the checkpoints show real files. Run with `npm run screenshots`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openBrowser, signIn } from '../test/support/browser.js';
import { ensureConsoleBuilt } from '../test/support/console-build.js';
import { startConsoleServer, type ConsoleServer } from '../test/support/console-server.js';
import { ASKING_TOOLSET, WEATHER_TOOL, demoScript, waitForIdles } from '../test/support/demo.js';

const OUT = join(import.meta.dirname, '..', '..', '..', 'docs', 'screenshots');
const WIDTHS = [
  { name: '1280', viewport: { width: 1280, height: 860 } },
  { name: '390', viewport: { width: 390, height: 844 } },
];

const text = (value: string) => [{ type: 'text', text: value }];

async function seed(server: ConsoleServer) {
  const agent = await server.api('POST', '/v1/agents', {
    name: 'researcher',
    model: 'claude-sonnet-4-6',
    description: 'Answers questions about the data warehouse.',
    system: 'You research questions and report with evidence.',
    tools: [ASKING_TOOLSET, WEATHER_TOOL],
    metadata: { team: 'data' },
  });
  await server.api('POST', `/v1/agents/${agent.id}`, { version: 1, system: 'You research questions, cite your sources and report with evidence.', metadata: { team: 'data', tier: 'gold' } });
  await server.api('POST', '/v1/agents', { name: 'writer', model: 'claude-haiku-4-5', tools: [] });
  const environment = await server.api('POST', '/v1/environments', { name: 'default' });
  await server.api('POST', '/v1/environments', {
    name: 'locked-down',
    description: 'Only the package index and the company API.',
    config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['api.example.com'], allow_package_managers: true }, packages: { pip: ['pandas', 'pyarrow'] } },
  });
  const start = (title: string, metadata: Record<string, string> = {}) => server.api('POST', '/v1/sessions', { agent: agent.id, environment_id: environment.id, title, metadata });
  const send = (id: string, events: unknown[]) => server.api('POST', `/v1/sessions/${id}/events`, { events });

  const main = await start('Quarterly report draft', { team: 'data', quarter: 'Q3' });
  await send(main.id, [{ type: 'user.message', content: text('Draft the Q3 report outline from the sales tables.') }]);
  await waitForIdles(server, main.id, 1);
  await send(main.id, [{ type: 'user.message', content: text('Save the outline and the sales table to the workspace.') }]);
  await waitForIdles(server, main.id, 2);
  await send(main.id, [{ type: 'user.message', content: text('How much disk is left in the workspace?') }]);
  await waitForIdles(server, main.id, 3);
  const { data } = await server.api('GET', `/v1/sessions/${main.id}/events?limit=1000`);
  const ask = (data as Array<{ id: string; type: string }>).filter((event) => event.type === 'agent.tool_use').pop()!;
  await send(main.id, [{ type: 'user.tool_confirmation', tool_use_id: ask.id, result: 'allow' }]);
  await waitForIdles(server, main.id, 4);
  await send(main.id, [{ type: 'user.message', content: text('Check the disk once more, please.') }]);
  await waitForIdles(server, main.id, 5);
  // Waiting for an approval is no turn end, so this one is a checkpoint of its own.
  await server.api('POST', `/v1/sessions/${main.id}/checkpoints`, {});
  const { data: checkpoints } = await server.api('GET', `/v1/sessions/${main.id}/checkpoints`);
  const saved = (checkpoints as Array<{ id: string; trigger: string }>).filter((checkpoint) => checkpoint.trigger === 'turn_end').at(-2)!;
  await server.api('POST', `/v1/sessions/${main.id}/fork`, { checkpoint_id: saved.id, title: 'Quarterly report draft (alternative)' });

  const weather = await start('Weather lookup', { team: 'travel' });
  await send(weather.id, [{ type: 'user.message', content: text('What is the weather in Lisbon?') }]);
  await waitForIdles(server, weather.id, 1);
  const done = await start('Onboarding notes', { team: 'people' });
  await send(done.id, [{ type: 'user.message', content: text('Summarise the onboarding checklist.') }]);
  await waitForIdles(server, done.id, 1);
  await start('Untitled exploration');
  return { agentId: agent.id, sessionId: main.id };
}

async function shoot(page: Page, name: string, width: string, fullPage = true) {
  // Session pages keep a stream open, so the network is never idle: let rendering settle instead.
  await page.waitForTimeout(500);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(OUT, `${name}-${width}.png`), fullPage });
  process.stdout.write(`  ${name}-${width}.png\n`);
}

async function main() {
  const dir = await ensureConsoleBuilt();
  await mkdir(OUT, { recursive: true });
  const server = await startConsoleServer({ consoleDir: dir, script: demoScript, hands: { sandbox: 'bubblewrap' } });
  const browser = await openBrowser();
  try {
    const { agentId, sessionId } = await seed(server);
    for (const { name: width, viewport } of WIDTHS) {
      const page = await browser.page(viewport);
      await page.goto(`${server.url}/`);
      await page.evaluate(() => localStorage.clear());
      await page.reload();
      await page.getByLabel('API key').waitFor();
      await shoot(page, 'sign-in', width);
      await signIn(page, server.url, server.key);
      await page.locator('table.sessions-table').waitFor();
      await shoot(page, 'sessions', width);
      await page.goto(`${server.url}/sessions/${sessionId}`);
      await page.getByRole('heading', { name: /Waiting for you/ }).waitFor();
      await shoot(page, 'session-timeline', width, false);
      await page.goto(`${server.url}/sessions/${sessionId}/usage`);
      await page.locator('svg.chart').waitFor();
      await shoot(page, 'session-usage', width);
      await page.goto(`${server.url}/sessions/${sessionId}/workspace`);
      const files = page.getByRole('list', { name: 'Files' });
      await files.getByRole('button', { name: /^report\// }).click();
      await files.getByRole('button', { name: /^outline\.md/ }).click();
      await page.getByLabel('Contents of outline.md').waitFor();
      await shoot(page, 'session-workspace', width);
      await page.goto(`${server.url}/sessions/${sessionId}/checkpoints`);
      await page.locator('table.checkpoints-table tbody tr').first().waitFor();
      await shoot(page, 'session-checkpoints', width);
      await page.goto(`${server.url}/agents`);
      await page.locator('table.list').waitFor();
      await shoot(page, 'agents', width);
      await page.goto(`${server.url}/agents/${agentId}`);
      await page.locator('.diff-table').waitFor();
      await shoot(page, 'agent-versions', width);
      await page.goto(`${server.url}/agents/${agentId}/edit`);
      const tools = page.getByLabel('Tools (JSON list)');
      await tools.fill(JSON.stringify([{ type: 'agent_toolset_20260401', configs: [{ name: 'bsh' }] }], null, 2));
      await page.getByRole('button', { name: /Save as version/ }).click();
      await page.locator('#agent-tools-error').waitFor();
      await shoot(page, 'agent-edit-error', width);
      await page.goto(`${server.url}/environments`);
      await page.locator('table.list').waitFor();
      await shoot(page, 'environments', width);
      await page.getByRole('link', { name: 'locked-down' }).click();
      await page.getByLabel('Allowed hosts (one per line)').waitFor();
      await shoot(page, 'environment-edit', width);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
