import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { toFile } from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpoints, fork, restore, run } from '../branching/support.js';
import { startNpmRegistry } from '../packages/support/npm-registry.js';
import { ADMIN_KEY, startRoamingCluster, type RoamingCluster } from './support/roaming-cluster.js';

let cluster: RoamingCluster | undefined;
const c = (value: RoamingCluster | undefined): RoamingCluster => value!;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/**
 * Waits until the worker has let go of the session: the idle a turn ends with comes before the
 * harness marks the input taken up and the worker saves the files and releases the lease.
 */
async function letGo(c: RoamingCluster, sessionId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = await c.db.query<{ wake: number; holder: string | null }>(`SELECT wake_seq AS wake, lease_holder AS holder FROM sessions WHERE id = ?`, [sessionId]);
    if (Number(row?.wake) === 0 && !row?.holder) return;
    if (Date.now() > deadline) throw new Error(`session ${sessionId} is still held: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The worker process that holds (or last held) the session's lease, by its holder id in the log. */
async function holderOf(c: RoamingCluster, sessionId: string): Promise<string | null> {
  const [row] = await c.db.query<{ holder: string | null }>(`SELECT lease_holder AS holder FROM sessions WHERE id = ?`, [sessionId]);
  return row?.holder ?? null;
}

describe.each([
  ['a shared directory (file://)', 'file' as const],
  ['an S3 server on loopback (s3://)', 's3' as const],
])('workspaces in %s', (_name, store) => {
  it('follow a session to another worker after a drain (SIGTERM)', { timeout: 180_000 }, async () => {
    cluster = await startRoamingCluster({ store });
    const [a, b] = cluster.workers as [typeof cluster.workers[0], typeof cluster.workers[0]];
    await a.start();
    const id = await cluster.session();
    const client = cluster.clients[0]!;
    expect(await run(client, id, 'echo written-on-a > /workspace/note.txt && echo ok')).toBe('ok');
    expect(await a.stop()).toBe(0);
    await b.start();
    expect(await run(client, id, 'cat /workspace/note.txt')).toBe('written-on-a');
    expect(b.options.dataDir).not.toBe(a.options.dataDir);
    if (cluster.objectDir) expect((await readdir(join(cluster.objectDir, 'layers'))).some((name) => name.endsWith('.tar'))).toBe(true);
  });

  it('follow a session to another worker when the first is killed (SIGKILL) after its turn', { timeout: 180_000 }, async () => {
    cluster = await startRoamingCluster({ store });
    const [a, b] = cluster.workers as [typeof cluster.workers[0], typeof cluster.workers[0]];
    await a.start();
    const id = await cluster.session();
    const client = cluster.clients[0]!;
    expect(await run(client, id, 'mkdir -p /workspace/src && echo 42 > /workspace/src/answer && echo ok')).toBe('ok');
    await a.kill();
    await b.start();
    // The dead worker's lease runs out (2 s) before the other takes the session.
    expect(await run(client, id, 'cat /workspace/src/answer && echo more >> /workspace/src/answer && echo ok')).toBe('42\nok');
    expect(await run(client, id, 'cat /workspace/src/answer')).toBe('42\nmore');
  });

  it('fork and restore on another worker than the one that wrote the files', { timeout: 180_000 }, async () => {
    cluster = await startRoamingCluster({ store });
    const [a, b] = cluster.workers as [typeof cluster.workers[0], typeof cluster.workers[0]];
    await a.start();
    const id = await cluster.session();
    const client = cluster.clients[0]!;
    expect(await run(client, id, 'echo one > /workspace/v.txt && echo ok')).toBe('ok');
    expect(await run(client, id, 'echo two > /workspace/v.txt && echo ok')).toBe('ok');
    const [, first] = await checkpoints(client, id);
    await b.start();
    expect(await a.stop()).toBe(0);
    // Both through the API process, which has no sandboxes: only recorded stacks change.
    const child = await fork(client, id, { checkpoint_id: first!.id });
    expect(await run(client, child.id, 'cat /workspace/v.txt && echo forked > /workspace/v.txt && echo ok')).toBe('one\nok');
    expect(await run(client, id, 'cat /workspace/v.txt')).toBe('two');
    await letGo(cluster, id);
    await restore(client, id, first!.id);
    expect(await run(client, id, 'cat /workspace/v.txt')).toBe('one');
    expect(await run(client, child.id, 'cat /workspace/v.txt')).toBe('forked');
    // An API process exports the session, its layers read from the object store.
    await letGo(cluster, id);
    const exported = await fetch(`${cluster.apis[0]!.url}/v1/sessions/${id}/export`, { headers: { 'x-api-key': ADMIN_KEY } });
    expect(exported.status).toBe(200);
    const archive = Buffer.from(await exported.arrayBuffer()).toString('latin1');
    expect(archive).toMatch(/layers\/sha256:[0-9a-f]{64}\.tar/);
    expect(archive).toContain('one\n');
    expect(await holderOf(cluster, id)).toBeNull();
  });
});

describe('a worker killed in the middle of a turn', () => {
  it('loses what the turn wrote since the last recorded stack; the next worker goes on from that stack', { timeout: 180_000 }, async () => {
    cluster = await startRoamingCluster({ store: 'file' });
    const [a, b] = cluster.workers as [typeof cluster.workers[0], typeof cluster.workers[0]];
    await a.start();
    const id = await cluster.session();
    const client = cluster.clients[0]!;
    expect(await run(client, id, 'echo kept > /workspace/kept.txt && echo ok')).toBe('ok');
    await letGo(cluster, id);
    // The next command writes a file, then outlives its worker.
    await client.beta.sessions.events.send(id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'RUN: echo lost > /workspace/lost.txt && sleep 60' }] }] });
    const deadline = Date.now() + 60_000;
    while ((await c(cluster).db.query(`SELECT 1 FROM events WHERE session_id = ? AND type = 'agent.tool_use'`, [id])).length < 2) {
      if (Date.now() > deadline) throw new Error('the command never started');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await a.kill();
    await b.start();
    // B takes the turn over once A's lease (2 s) runs out: the interrupted command is reported,
    // and the files are those of the last recorded stack.
    while ((await c(cluster).db.query(`SELECT 1 FROM events WHERE session_id = ? AND type = 'agent.message' AND body LIKE '%cut off%'`, [id])).length === 0) {
      if (Date.now() > deadline + 60_000) throw new Error('the turn was never taken over');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await letGo(cluster, id);
    expect(await run(client, id, 'ls /workspace')).toBe('kept.txt');
  });
});

describe('files uploaded through one API process', () => {
  it('download through another with a different data directory', { timeout: 120_000 }, async () => {
    cluster = await startRoamingCluster({ store: 'file', apis: 2, workers: 0 });
    const [one, two] = cluster.clients as [NonNullable<RoamingCluster['clients'][0]>, NonNullable<RoamingCluster['clients'][0]>];
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
    const file = await one.beta.files.upload({ file: await toFile(bytes, 'data.bin', { type: 'application/octet-stream' }) });
    const response = await two.beta.files.download(file.id);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    await two.beta.files.delete(file.id);
    await expect(one.beta.files.download(file.id)).rejects.toThrow();
  });
});

describe("an environment's packages", () => {
  it('are installed once, by the worker that first needs them; another worker forks its sessions from the shipped base', { timeout: 240_000 }, async () => {
    const registry = await startNpmRegistry([{ name: 'hello-roaming', version: '1.0.0', output: 'hello from the base' }]);
    try {
      cluster = await startRoamingCluster({ store: 'file', workerArgs: ['--package-mirror', `npm=${registry.url}`] });
      const [a, b] = cluster.workers as [typeof cluster.workers[0], typeof cluster.workers[0]];
      const client = cluster.clients[0]!;
      const environment = await client.beta.environments.create({ name: 'with packages', config: { type: 'cloud', packages: { npm: ['hello-roaming'] } } } as never);
      const session = async () => (await client.beta.sessions.create({ agent: cluster!.agentId, environment_id: environment.id })).id;
      await a.start();
      expect(await run(client, await session(), 'hello-roaming')).toBe('hello from the base');
      expect(await a.stop()).toBe(0);
      await b.start();
      // A new session on a worker that never built the base: its layers come from the object store.
      expect(await run(client, await session(), 'hello-roaming')).toBe('hello from the base');
      expect(registry.downloads.get('hello-roaming')).toBe(1);
    } finally {
      await registry.close();
    }
  });
});
