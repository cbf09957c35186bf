import type { SessionEvent } from '@longhand/protocol';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../src/ui/format.js';
import { openBrowser, saveFailure, signIn, unlabelledControls, type Browser } from './support/browser.js';
import { ensureConsoleBuilt } from './support/console-build.js';
import { startConsoleServer, type ConsoleServer } from './support/console-server.js';
import { waitForIdles } from './support/demo.js';
import { handsMessage, handsScript, makeHandsSession, runTurn } from './support/hands-script.js';
import { expectedIds, readTimeline } from './support/timeline.js';

// Checkpoints, forks and restores through the console, against a server with real hands: the
// scripted agent writes real files in a real bubblewrap sandbox, so every checkpoint freezes
// real files and the workspace browser shows what a fork or a restore really left on disk.
let server: ConsoleServer;
let browser: Browser;
let page: Page;
let parentId = '';
let forkId = '';

interface Checkpoint {
  id: string;
  seq: number;
  event_id: string;
  trigger: string;
  size_bytes: number;
  added_bytes: number;
}

beforeAll(async () => {
  const dir = await ensureConsoleBuilt();
  server = await startConsoleServer({ consoleDir: dir, script: handsScript, hands: { sandbox: 'bubblewrap' } });
  parentId = await makeHandsSession(server, 'Plan');
  await runTurn(server, parentId, [{ write: '/workspace/notes/plan.md', content: 'plan v1\n' }]);
  await runTurn(server, parentId, [
    { write: '/workspace/notes/plan.md', content: 'plan v2\n' },
    { write: '/workspace/notes/later.md', content: 'written in the second turn\n' },
  ]);
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

const listed = async (sessionId: string) => (await server.api('GET', `/v1/sessions/${sessionId}/checkpoints?limit=1000`)).data as Checkpoint[];
const history = async (sessionId: string) => (await server.api('GET', `/v1/sessions/${sessionId}/events?limit=1000`)).data as SessionEvent[];
const rows = () => page.locator('table.checkpoints-table tbody tr');
const shownIds = () => rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-checkpoint-id')));
const tab = (name: string) => page.getByRole('navigation', { name: 'Session views' }).getByRole('link', { name });
const fileNames = () => page.getByRole('list', { name: 'Files' }).locator('.file-name').allTextContents();

/** The first checkpoint of the parent: the end of its first turn. */
async function firstCheckpoint(): Promise<Checkpoint> {
  return (await listed(parentId)).at(-1)!;
}

describe('checkpoints, forks and restores in the console', { timeout: 90_000 }, () => {
  it('lists the checkpoint of every turn, newest first, with where in the log and when', async () => {
    await page.goto(`${server.url}/sessions/${parentId}`);
    await page.getByRole('heading', { name: 'Plan', level: 1 }).waitFor();
    await tab('Checkpoints').click();
    await expect.poll(shownIds).toHaveLength(2);
    const api = await listed(parentId);
    expect(api.map((checkpoint) => checkpoint.trigger)).toEqual(['turn_end', 'turn_end']);
    expect(await shownIds()).toEqual(api.map((checkpoint) => checkpoint.id));
    // Each sits on the idle that ended its turn.
    const idles = (await history(parentId)).filter((event) => event.type === 'session.status_idle').map((event) => event.id);
    expect(api.map((checkpoint) => checkpoint.event_id).reverse()).toEqual(idles);
    for (const [i, checkpoint] of api.entries()) {
      const cells = await rows().nth(i).locator('td').allTextContents();
      expect(cells[0]).toBe(`${checkpoint.id}${i === 0 ? 'latest' : ''}`);
      expect(cells[1]).toBe(`end of a turn event #${checkpoint.seq}`);
      expect(cells[2]).toMatch(/just now| s ago/);
    }
    // The first turn wrote plan.md (8 bytes): its checkpoint holds just that. Sizes are shown as the API gives them.
    expect(api[1]!.size_bytes).toBe(8);
    expect(await rows().locator('td[data-label="Size"]').allTextContents()).toEqual(api.map((checkpoint) => formatBytes(checkpoint.size_bytes)));
    expect(await rows().locator('td[data-label="Added"]').allTextContents()).toEqual(api.map((checkpoint) => formatBytes(checkpoint.added_bytes)));
  });

  it('says so when a checkpoint is asked for and nothing has happened since the latest one', async () => {
    const [latest] = await listed(parentId);
    await page.getByRole('button', { name: 'Take checkpoint' }).click();
    const note = page.getByRole('status').filter({ hasText: 'Nothing has happened since checkpoint' });
    await note.waitFor();
    expect(await note.textContent()).toContain(latest!.id);
    expect(await shownIds()).toHaveLength(2);
    expect(await listed(parentId)).toHaveLength(2);
  });

  it('takes a checkpoint while the agent works, and holds restores back until it is idle', async () => {
    await server.api('POST', `/v1/sessions/${parentId}/events`, {
      events: [{ type: 'user.message', content: [{ type: 'text', text: handsMessage([{ bash: 'sleep 3 && echo slow > /workspace/notes/slow.txt' }]) }] }],
    });
    const blocked = page.locator('#restore-blocked', { hasText: 'The agent is working: interrupt it, or wait until the session is idle, to restore it.' });
    await blocked.waitFor();
    const restoreButtons = page.getByRole('button', { name: /^Restore to checkpoint / });
    expect(await restoreButtons.evaluateAll((buttons) => buttons.map((button) => (button as HTMLButtonElement).disabled))).toEqual([true, true]);
    await page.getByRole('button', { name: 'Take checkpoint' }).click();
    const note = page.getByRole('status').filter({ hasText: /^Checkpoint ckpt_\w+ taken at event #\d+\.$/ });
    await note.waitFor();
    const [manual] = await listed(parentId);
    expect(manual!.trigger).toBe('manual');
    expect(await note.textContent()).toBe(`Checkpoint ${manual!.id} taken at event #${manual!.seq}.`);
    await expect.poll(shownIds).toEqual((await listed(parentId)).map((checkpoint) => checkpoint.id));
    expect(await rows().first().locator('td').nth(1).textContent()).toBe(`taken by hand event #${manual!.seq}`);
    // The turn ends on its own: its checkpoint joins the list, and restores are offered again.
    await waitForIdles(server, parentId, 3, 30_000);
    await expect.poll(shownIds).toHaveLength(4);
    expect(await shownIds()).toEqual((await listed(parentId)).map((checkpoint) => checkpoint.id));
    await blocked.waitFor({ state: 'detached' });
    expect(await restoreButtons.evaluateAll((buttons) => buttons.every((button) => !(button as HTMLButtonElement).disabled))).toBe(true);
  });

  it('forks from the first checkpoint: the fork has the history up to it and the files as they were then', async () => {
    const first = await firstCheckpoint();
    await page.getByRole('button', { name: `Fork from checkpoint ${first.id}` }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Fork from this checkpoint?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(`event #${first.seq}`);
    // The title is what the person came to type: it has the focus.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('fork-title');
    await page.keyboard.insertText('x'.repeat(600));
    await dialog.getByRole('button', { name: 'Create fork' }).click();
    const error = dialog.locator('#fork-title-error');
    await error.waitFor();
    expect(await error.textContent()).toBe('title must be at most 512 characters long');
    expect(await dialog.getByLabel('Title of the new session (optional)').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByLabel('Title of the new session (optional)').fill('Plan v1 experiment');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Plan v1 experiment', level: 1 }).waitFor();
    forkId = page.url().split('/sessions/')[1]!;
    expect(forkId).not.toBe(parentId);
    const fork = await server.api('GET', `/v1/sessions/${forkId}`);
    expect(fork.forked_from).toEqual({ session_id: parentId, checkpoint_id: first.id, seq: first.seq });

    const lineage = page.locator('.forked-from');
    await lineage.getByRole('link', { name: 'Plan' }).waitFor();
    expect(await lineage.textContent()).toBe(`Forked from Plan at checkpoint ${first.id} (event #${first.seq})`);
    expect(await lineage.getByRole('link', { name: 'Plan' }).getAttribute('href')).toBe(`/sessions/${parentId}`);

    // Its timeline: the parent's events up to the checkpoint, the same ids, nothing after.
    const parentEvents = await history(parentId);
    const prefix = parentEvents.slice(0, parentEvents.findIndex((event) => event.id === first.event_id) + 1);
    expect((await history(forkId)).map((event) => event.id)).toEqual(prefix.map((event) => event.id));
    await page.locator('.connection[data-phase="live"]').waitFor();
    await page.getByRole('feed', { name: 'Session timeline' }).locator('article').first().waitFor();
    const { rows: timeline } = await readTimeline(page);
    expect(timeline.flatMap((row) => row.ids).sort()).toEqual(expectedIds(prefix, forkId).sort());

    // Its files: as they were at the end of the first turn.
    await tab('Workspace').click();
    await page.getByRole('list', { name: 'Files' }).getByRole('button', { name: /^notes\// }).click();
    await expect.poll(fileNames).toEqual(['plan.md']);
    await page.getByRole('list', { name: 'Files' }).getByRole('button', { name: /^plan\.md/ }).click();
    expect(await page.getByLabel('Contents of plan.md').textContent()).toBe('plan v1\n');

    await tab('Checkpoints').click();
    await expect.poll(() => rows().locator('td[data-label="Made at"]').allTextContents()).toEqual([expect.stringMatching(/^start of this fork event #\d+$/)]);
  });

  it('restores the parent to the first checkpoint after a confirmation that says what goes back', async () => {
    const first = await firstCheckpoint();
    await page.locator('.forked-from').getByRole('link', { name: 'Plan' }).click();
    await page.getByRole('heading', { name: 'Plan', level: 1 }).waitFor();
    await tab('Checkpoints').click();
    const restore = page.getByRole('button', { name: `Restore to checkpoint ${first.id}` });
    await restore.click();
    const dialog = page.getByRole('dialog', { name: 'Restore the session to this checkpoint?' });
    await dialog.waitFor();
    const text = await dialog.textContent();
    expect(text).toContain(`The session's files go back to how they were at event #${first.seq}, and so does the model's view of the conversation`);
    expect(text).toContain('Files written since then leave the workspace');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await history(parentId)).some((event) => event.type === 'session.restored')).toBe(false);

    await restore.click();
    await dialog.getByRole('button', { name: 'Restore session' }).click();
    const note = page.getByRole('status').filter({ hasText: `Restored to checkpoint ${first.id} (event #${first.seq}).` });
    await note.waitFor();
    await expect.poll(() => rows().first().locator('td[data-label="Made at"]').textContent()).toMatch(/^after a restore event #\d+$/);
    const restored = (await history(parentId)).filter((event) => event.type === 'session.restored');
    expect(restored).toEqual([expect.objectContaining({ checkpoint_id: first.id, restored_to_seq: first.seq })]);

    await note.getByRole('link', { name: 'See it in the timeline' }).click();
    const entry = page.getByRole('feed', { name: 'Session timeline' }).locator(`article[data-event-ids~="${restored[0]!.id}"]`);
    await entry.waitFor();
    expect(await entry.textContent()).toContain(`Restored to checkpoint ${first.id} (event #${first.seq}): the files and the agent's view of the conversation went back to that point.`);

    await tab('Workspace').click();
    await page.getByRole('list', { name: 'Files' }).getByRole('button', { name: /^notes\// }).click();
    await expect.poll(fileNames).toEqual(['plan.md']);
    await page.getByRole('list', { name: 'Files' }).getByRole('button', { name: /^plan\.md/ }).click();
    expect(await page.getByLabel('Contents of plan.md').textContent()).toBe('plan v1\n');
  });

  it('shows older checkpoints on request when a session has more than a page of them', async () => {
    const id = await makeHandsSession(server, 'Many checkpoints');
    for (let i = 0; i < 23; i += 1) {
      // Each rename is a new event, so each checkpoint is a new one.
      await server.api('POST', `/v1/sessions/${id}`, { title: `Many checkpoints ${i}` });
      await server.api('POST', `/v1/sessions/${id}/checkpoints`, {});
    }
    const all = (await listed(id)).map((checkpoint) => checkpoint.id);
    expect(all).toHaveLength(23);
    await page.goto(`${server.url}/sessions/${id}/checkpoints`);
    await expect.poll(shownIds).toEqual(all.slice(0, 20));
    await page.getByRole('button', { name: 'Show older checkpoints' }).click();
    await expect.poll(shownIds).toEqual(all);
    expect(await page.getByRole('button', { name: 'Show older checkpoints' }).count()).toBe(0);
  });

  it('fits a phone: the checkpoints and the restore dialog at 390 pixels wide need no sideways scrolling, and every control has a name', async () => {
    const narrow = await browser.page({ width: 390, height: 844 });
    try {
      await narrow.goto(`${server.url}/sessions/${parentId}/checkpoints`);
      await narrow.locator('table.checkpoints-table tbody tr').first().waitFor();
      expect(await narrow.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      // The fork dialog's title field is in the page (closed) and counts too.
      expect(await narrow.getByLabel('Title of the new session (optional)').count()).toBe(1);
      expect(await unlabelledControls(narrow)).toBe(0);
      await narrow.getByRole('button', { name: /^Restore to checkpoint / }).first().click();
      const dialog = narrow.getByRole('dialog', { name: 'Restore the session to this checkpoint?' });
      await dialog.waitFor();
      const box = (await dialog.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
    } finally {
      await narrow.close();
    }
  });
});
