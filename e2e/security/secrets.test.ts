/**
 * Invariant 4: secrets never enter a sandbox. Before the server starts, secrets are planted in its
 * process environment (support/security-rig.ts); together with its API keys they are searched for
 * everywhere a sandbox can look: its environment, /proc (environ, cmdline, mounts and the memory
 * of every process it can see) and every file outside the read-only system directories. From the
 * host, what the runtime hands a sandbox (bwrap's argv and environment, the storage it binds) is
 * searched too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hostProcesses } from './support/host-view.js';
import type { PuppetSession } from './support/puppet.js';
import { startSecurityRig, type SecurityRig } from './support/security-rig.js';

let rig: SecurityRig;
let agent: PuppetSession;

beforeAll(async () => {
  rig = await startSecurityRig();
  agent = await rig.session();
  // A second, running sandbox: the search must cover what sandboxes share, not just this one.
  await (await rig.session()).bash('true');
});

afterAll(async () => {
  await rig?.close();
});

afterEach(async () => {
  await rig.expectHealthy();
});

/** The planted values, the API keys, and the planted variables' names. */
const needles = (): string[] => [...rig.secrets, ...rig.secretNames];

describe('server secrets inside a sandbox', () => {
  it('are in none of the environments it can read', async () => {
    const outcome = await agent.bash(
      [
        'env',
        "tr '\\0' '\\n' < /proc/self/environ",
        "for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ; tr '\\0' ' ' < $p/cmdline; echo; done",
        'declare -p',
      ].join('\n'),
    );
    expect(outcome.isError, outcome.text).toBe(false);
    expect(outcome.text).toContain('HOME=/home/agent');
    for (const needle of needles()) expect(outcome.text).not.toContain(needle);
  });

  it('are in no file, no process argument and no process memory it can read', async () => {
    const scanner = readFileSync(join(import.meta.dirname, 'support', 'secret-scan.py'), 'utf8');
    const written = await agent.call('write', { file_path: '/workspace/scan.py', content: scanner });
    expect(written.isError, written.text).toBe(false);
    const encoded = needles().map((needle) => Buffer.from(needle).toString('base64'));
    const outcome = await agent.bash(`python3 /workspace/scan.py ${encoded.join(' ')}`, 120_000);
    expect(outcome.isError, outcome.text).toBe(false);
    const counts = /scanned (\d+) files and (\d+) bytes of memory/.exec(outcome.text);
    // It really looked: /etc, the supervisor's files, /proc of every process, and the memory of
    // the supervisor (a perl process) and the shell.
    expect(Number(counts?.[1])).toBeGreaterThan(20);
    expect(Number(counts?.[2])).toBeGreaterThan(10 * 1024 * 1024);
    expect(outcome.text.split('\n').filter((line) => line.startsWith('FOUND'))).toEqual([]);
  });

  it('are not read by the file tools from /proc either', async () => {
    const outcomes = await agent.calls([
      { name: 'read', input: { file_path: '/proc/self/environ' } },
      { name: 'read', input: { file_path: '/proc/2/environ' } },
      { name: 'grep', input: { pattern: 'SECRET|CANARY|lh_', path: '/proc/self' } },
      { name: 'glob', input: { pattern: '/proc/*/environ' } },
    ]);
    for (const outcome of outcomes) {
      expect(outcome.isError, outcome.text).toBe(true);
      for (const needle of needles()) expect(outcome.text).not.toContain(needle);
    }
  });
});

describe('what the runtime hands a sandbox, seen from the host', () => {
  it('carries no secret in any sandbox process argv or environment', async () => {
    const uids = new Set([await rig.hostUid(agent.id)]);
    const processes = hostProcesses().filter((p) => uids.has(p.uid));
    expect(processes.length).toBeGreaterThan(0);
    for (const p of processes) {
      let environ = '';
      try {
        environ = readFileSync(`/proc/${p.pid}/environ`, 'latin1');
      } catch {
        continue;
      }
      for (const needle of needles()) {
        expect(p.cmdline, `pid ${p.pid} argv`).not.toContain(needle);
        expect(environ, `pid ${p.pid} environ`).not.toContain(needle);
      }
    }
  });

  it('carries no secret in any file of the sandbox storage', async () => {
    const root = join(rig.dataDir, 'sandbox');
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.isFile()) files.push(path);
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const content = readFileSync(file, 'latin1');
      for (const needle of needles()) expect(content.includes(needle), `${file} contains a secret`).toBe(false);
    }
  });
});
