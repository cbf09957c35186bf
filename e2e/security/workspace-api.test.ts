/**
 * The one place the host itself reads what a sandbox wrote: the workspace browser of the API
 * (`/v1/sessions/{id}/workspace/files`), served by the server process (root, like CI) straight
 * from the sandbox's storage. An agent plants symlinks to host files (the database, /etc/shadow,
 * another session's workspace) and swaps a directory for a link to the data directory while the
 * API reads it; the API must never serve or list anything outside the session's own files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PuppetSession } from './support/puppet.js';
import { runSteps } from './support/shell-steps.js';
import { startSecurityRig, type SecurityRig } from './support/security-rig.js';

let rig: SecurityRig;
let agent: PuppetSession;
let victimWorkspace: string;
const SHADOW_ROOT = /^root:[^\n]*/m;

beforeAll(async () => {
  rig = await startSecurityRig();
  const victim = await rig.session();
  await victim.bash('echo victim-file > /workspace/victim.txt');
  victimWorkspace = (await rig.hostMount(victim.id)).workspace;
  agent = await rig.session();
  const planted = await agent.bash(
    [
      `ln -s ${join(rig.dataDir, 'longhand.db')} l-db`,
      `ln -s ${rig.dataDir} l-data`,
      'ln -s /etc/shadow l-shadow',
      'ln -s /etc l-etc',
      `ln -s ${victimWorkspace} l-victim`,
      'mkfifo fifo',
      'mkdir -p deep/er && ln -s ../../l-data deep/er/up',
    ].join(' && '),
  );
  expect(planted.isError, planted.text).toBe(false);
});

afterAll(async () => {
  await rig?.close();
});

afterEach(async () => {
  await rig.expectHealthy();
});

/** A GET of the workspace API as the session's tenant. */
async function api(path: string, sandboxPath: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${rig.url}/v1/sessions/${agent.id}/workspace/files${path}?path=${encodeURIComponent(sandboxPath)}`, {
    headers: { 'x-api-key': rig.brain.server.a.key },
  });
  return { status: response.status, body: await response.text() };
}

/** What must never come back: the database, shadow, another session, the data directory's listing. */
function expectNothingOfTheHost(body: string): void {
  expect(body).not.toContain('SQLite format 3');
  expect(body).not.toMatch(SHADOW_ROOT);
  expect(body).not.toContain('victim-file');
  expect(body).not.toContain('longhand.db-wal');
  expect(body).not.toContain('sandbox.location');
}

describe('the workspace API (host side) and links planted by the agent', () => {
  it('refuses to serve a file through a link that leads out of the workspace', async () => {
    expect(readFileSync('/etc/shadow', 'utf8')).toMatch(SHADOW_ROOT);
    for (const path of ['/workspace/l-db', '/workspace/l-data/longhand.db', '/workspace/l-shadow', '/workspace/l-etc/shadow', '/workspace/l-victim/victim.txt', '/workspace/deep/er/up/longhand.db', '/workspace/../../etc/shadow', '/mnt/session/uploads/../../../etc/shadow']) {
      const response = await api('/content', path);
      expect(response.status, `${path}: ${response.body}`).toBeGreaterThanOrEqual(400);
      expect(response.status, path).toBeLessThan(500);
      expectNothingOfTheHost(response.body);
    }
  });

  it('refuses to list a directory through a link, and lists links as links', async () => {
    for (const path of ['/workspace/l-data', '/workspace/l-etc', '/workspace/l-victim', '/workspace/deep/er/up', '/workspace/l-data/sandbox']) {
      const response = await api('', path);
      expect(response.status, `${path}: ${response.body}`).toBeGreaterThanOrEqual(400);
      expect(response.status, path).toBeLessThan(500);
      expectNothingOfTheHost(response.body);
    }
    const root = await api('', '/workspace');
    expect(root.status).toBe(200);
    const entries = (JSON.parse(root.body) as { data: Array<{ path: string; type: string }> }).data;
    expect(entries.find((entry) => entry.path === '/workspace/l-db')?.type).toBe('symlink');
  });

  it('does not hang on a FIFO and refuses it', async () => {
    const response = await api('/content', '/workspace/fifo');
    expect(response.status).toBe(400);
  });

  it('never serves the data directory while the agent swaps a directory for a link to it', async () => {
    const swapper = readFileSync(join(import.meta.dirname, 'support', 'swapper.py'), 'utf8');
    expect((await agent.call('write', { file_path: '/workspace/swapper.py', content: swapper })).isError).toBe(false);
    const started = await agent.bash(
      [
        'cd /workspace && mkdir -p inside flip hostflip /tmp/outside && rm -f stop-swapping swaps.txt',
        'echo "not the database" > hostflip/longhand.db && ln -sfn inside race',
        `(python3 swapper.py ${rig.dataDir} > swapper.log 2>&1 &)`,
      ].join(' && '),
    );
    expect(started.isError, started.text).toBe(false);
    let served = 0;
    for (let round = 0; round < 30; round++) {
      const [first, listing, second] = await Promise.all([
        api('/content', '/workspace/hostflip/longhand.db'),
        api('', '/workspace/hostflip'),
        api('/content', '/workspace/hostflip/longhand.db'),
      ]);
      for (const response of [first!, second!]) {
        expect(response.status).not.toBe(500);
        if (response.status === 200) {
          expect(response.body).toBe('not the database\n');
          served += 1;
        } else {
          expectNothingOfTheHost(response.body);
        }
      }
      if (listing!.status === 200) {
        expect((JSON.parse(listing!.body) as { data: Array<{ path: string }> }).data.map((entry) => entry.path)).toEqual(['/workspace/hostflip/longhand.db']);
      } else {
        expectNothingOfTheHost(listing!.body);
      }
    }
    const [stopped] = await runSteps(agent, ['touch /workspace/stop-swapping; for i in $(seq 100); do [ -e /workspace/swaps.txt ] && break; sleep 0.05; done; cat /workspace/swaps.txt /workspace/swapper.log']);
    expect(Number.parseInt(stopped!.output, 10), stopped!.output).toBeGreaterThan(30);
    // The race was run against requests that work: some were served, from inside.
    expect(served).toBeGreaterThan(0);
  });
});
