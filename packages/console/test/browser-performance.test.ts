import type { EventBody } from '@longhand/protocol';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, saveFailure, signIn, type Browser } from './support/browser.js';
import { ensureConsoleBuilt } from './support/console-build.js';
import { startConsoleServer, type ConsoleServer } from './support/console-server.js';
import { readTimeline } from './support/timeline.js';

// A session of 5,000 events in real Chromium. Timings are measured and printed, never asserted
// (they depend on the machine); what is asserted is that the timeline stays windowed (a bounded
// number of rows in the DOM) and still shows every event.
const EVENTS = 5000;
let server: ConsoleServer;
let browser: Browser;
let page: Page;
let sessionId = '';
let firstId = '';
let lastId = '';
const figures: Record<string, string> = {};

function cycle(i: number): EventBody[] {
  const usage = { input_tokens: 1000 + i, output_tokens: 200, cache_creation_input_tokens: 0, cache_read_input_tokens: 500 };
  return [
    { type: 'user.message', content: [{ type: 'text', text: `Step ${i}: look at **file ${i}** and report.` }] },
    { type: 'session.status_running' },
    { type: 'span.model_request_start' },
    { type: 'agent.message', content: [{ type: 'text', text: `## Step ${i}\n\nI read the file. Findings:\n\n- item one with \`code\`\n- item two\n\nNext I run a command.` }] },
    { type: 'agent.tool_use', name: 'bash', input: { command: `wc -l file-${i}.txt` }, evaluated_permission: 'allow', evaluation: { type: 'always_allow' } },
    { type: 'span.model_request_end', model_request_start_id: '', is_error: false, model_usage: usage },
    { type: 'agent.tool_result', tool_use_id: '', content: [{ type: 'text', text: Array.from({ length: 20 }, (_, n) => `${n + 1} line of output ${i}`).join('\n') }], is_error: false },
    { type: 'session.usage', usage: { input_tokens: 1000 * (i + 1), output_tokens: 200 * (i + 1), list_cost: { amount: String(i + 1), currency: 'USD' } } },
    { type: 'session.status_idle', stop_reason: { type: 'end_turn' }, stop_details: null },
  ];
}

async function seed(): Promise<void> {
  const agent = await server.api('POST', '/v1/agents', { name: 'busy', model: 'claude-sonnet-4-6' });
  const environment = await server.api('POST', '/v1/environments', { name: 'busy-env' });
  sessionId = (await server.api('POST', '/v1/sessions', { agent: agent.id, environment_id: environment.id, title: 'Five thousand events' })).id;
  let written = 0;
  for (let i = 0; written < EVENTS; i += 1) {
    const bodies = cycle(i).slice(0, EVENTS - written);
    // Link the span end and the tool result to the ids of their start and call.
    const ids = bodies.map(() => `sevt_perf${String(written).padStart(6, '0')}_${Math.random().toString(36).slice(2, 10)}`);
    const drafts = bodies.map((body, k) => {
      if (body.type === 'span.model_request_end') return { id: ids[k]!, body: { ...body, model_request_start_id: ids[2]! } };
      if (body.type === 'agent.tool_result') return { id: ids[k]!, body: { ...body, tool_use_id: ids[4]! } };
      return { id: ids[k]!, body };
    });
    const stored = await server.runtime.store.events.append(sessionId, drafts);
    if (written === 0) firstId = stored[0]!.event.id;
    lastId = stored[stored.length - 1]!.event.id;
    written += drafts.length;
  }
}

beforeAll(async () => {
  const dir = await ensureConsoleBuilt();
  server = await startConsoleServer({ consoleDir: dir, script: () => ({ text: 'unused' }), runtime: { role: 'api' } });
  await seed();
  browser = await openBrowser();
  page = await browser.page({ width: 1280, height: 900 });
  await signIn(page, server.url, server.key);
}, 240_000);

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') await saveFailure(page, context.task.name);
});

afterAll(async () => {
  const lines = Object.entries(figures).map(([name, value]) => `  ${name.padEnd(44)} ${value}`);
  process.stdout.write(`\n[console performance] a session of ${EVENTS} events in Chromium:\n${lines.join('\n')}\n\n`);
  await browser?.close();
  await server?.close();
});

const feed = () => page.getByRole('feed', { name: 'Session timeline' });
const rendered = () => page.evaluate(() => document.querySelectorAll('[role="feed"] article').length);

describe(`a session of ${EVENTS} events`, { timeout: 120_000 }, () => {
  it('opens at its latest event with a bounded number of rows in the page', async () => {
    const started = Date.now();
    await page.goto(`${server.url}/sessions/${sessionId}`);
    await feed().locator(`article[data-event-ids~="${lastId}"]`).waitFor({ timeout: 60_000 });
    figures['open the page → last event shown'] = `${Date.now() - started} ms`;
    const setSize = Number(await feed().locator('article').first().getAttribute('aria-setsize'));
    const rows = await rendered();
    figures['timeline rows (events folded into rows)'] = String(setSize);
    figures['rows in the DOM'] = String(rows);
    figures['DOM elements on the page'] = String(await page.evaluate(() => document.getElementsByTagName('*').length));
    const heap = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize);
    if (heap) figures['JS heap used'] = `${(heap / 1024 / 1024).toFixed(1)} MB`;
    expect(setSize).toBeGreaterThan(3000);
    expect(rows).toBeLessThan(150);
  });

  it('scrolls from end to start frame by frame, rendering only what is near the view', async () => {
    const result = await page.evaluate(async () => {
      const list = document.querySelector<HTMLElement>('[role="feed"]')!;
      const frames: number[] = [];
      let most = 0;
      const started = performance.now();
      while (list.scrollTop > 0) {
        const before = performance.now();
        list.scrollTop = Math.max(0, list.scrollTop - list.clientHeight);
        await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
        frames.push(performance.now() - before);
        most = Math.max(most, list.querySelectorAll('article').length);
      }
      frames.sort((a, b) => a - b);
      return { steps: frames.length, total: performance.now() - started, median: frames[Math.floor(frames.length / 2)]!, p95: frames[Math.floor(frames.length * 0.95)]!, most };
    });
    figures['scroll to the top, one screen per step'] = `${result.steps} steps in ${Math.round(result.total)} ms`;
    figures['  time per step (two frames), median / p95'] = `${result.median.toFixed(1)} / ${result.p95.toFixed(1)} ms`;
    figures['  most rows in the DOM while scrolling'] = String(result.most);
    expect(result.most).toBeLessThan(150);
    await feed().locator(`article[data-event-ids~="${firstId}"]`).waitFor();
  });

  it('jumps back to the end and shows a new event live', async () => {
    await page.getByRole('button', { name: 'Jump to latest ↓' }).click();
    await feed().locator(`article[data-event-ids~="${lastId}"]`).waitFor();
    const appended = Date.now();
    const [stored] = await server.runtime.store.events.append(sessionId, [{ body: { type: 'agent.message', content: [{ type: 'text', text: 'One more, live.' }] } }]);
    await feed().locator(`article[data-event-ids~="${stored!.event.id}"]`).waitFor();
    figures['append an event → shown on the page'] = `${Date.now() - appended} ms`;
  });

  it('still shows every event, each once', async () => {
    const { rows, setSize } = await readTimeline(page);
    expect(rows).toHaveLength(setSize);
    const shown = rows.flatMap((row) => row.ids);
    expect(new Set(shown).size).toBe(shown.length);
    // Every event is on a row except session.usage (charted, not listed): one per cycle of nine.
    expect(shown.length).toBe(EVENTS + 1 - Math.floor(EVENTS / 9));
  });
});
