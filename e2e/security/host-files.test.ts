/**
 * Reading what is not the sandbox's: host secrets, the server's data directory, another session's
 * files (by their host path and by the paths of its sandbox), the server's own files, and host
 * processes under /proc. Every attempt goes through a tool call of the puppet agent; what it must
 * not see is taken from the host, so a leak is recognised by content, not by an error message.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintTree } from './support/host-view.js';
import type { PuppetSession, ToolOutcome } from './support/puppet.js';
import { runSteps, succeeded } from './support/shell-steps.js';
import { startSecurityRig, type SecurityRig } from './support/security-rig.js';

/** A line only this file contains: seeing it inside a sandbox means the server's files leaked. */
const SOURCE_MARKER = 'host-files-source-marker-3f9a1c7e';

let rig: SecurityRig;
let attacker: PuppetSession;
let victim: PuppetSession;
const victimSecret = `victim-secret-${randomBytes(12).toString('hex')}`;
let victimHost: { workspace: string; home: string };
let victimBefore: Map<string, string>;

beforeAll(async () => {
  rig = await startSecurityRig();
  [attacker, victim] = await Promise.all([rig.session(), rig.session()]);
  const planted = await victim.bash(`printf %s ${victimSecret} > /workspace/victim-secret.txt && mkdir -p ~/.ssh && printf %s ${victimSecret} > ~/.ssh/id_ed25519`);
  expect(planted.isError, planted.text).toBe(false);
  victimHost = await rig.hostMount(victim.id);
  expect(readFileSync(join(victimHost.workspace, 'victim-secret.txt'), 'utf8')).toBe(victimSecret);
  victimBefore = new Map([...fingerprintTree(victimHost.workspace), ...fingerprintTree(victimHost.home)]);
  await attacker.bash('true');
});

afterAll(async () => {
  await rig?.close();
});

afterEach(async () => {
  await rig.expectHealthy();
});

/** Every file tool pointed at `path` (a file) and at its directory: all must fail. */
async function fileToolsOn(path: string): Promise<ToolOutcome[]> {
  return attacker.calls([
    { name: 'read', input: { file_path: path } },
    { name: 'grep', input: { pattern: '.', path } },
    { name: 'grep', input: { pattern: '.', path: dirname(path) } },
    { name: 'glob', input: { pattern: '**/*', path: dirname(path) } },
    { name: 'glob', input: { pattern: path } },
  ]);
}

function expectAllRefused(outcomes: readonly ToolOutcome[], mustNotContain: readonly string[]): void {
  for (const outcome of outcomes) {
    expect(outcome.isError, outcome.text).toBe(true);
    for (const needle of mustNotContain) expect(outcome.text).not.toContain(needle);
  }
}

describe('host files', () => {
  it('cannot read /etc/shadow (or any credential store of the host) by any path', async () => {
    const shadow = readFileSync('/etc/shadow', 'utf8').split('\n').filter((line) => line.includes(':'));
    expect(shadow.length).toBeGreaterThan(0);
    const steps = await runSteps(attacker, [
      'cat /etc/shadow',
      'cat /proc/1/root/etc/shadow',
      'cat /proc/self/root/etc/shadow',
      'cat /etc/gshadow',
      'ls /root',
      'cat /etc/sudoers',
      'ls /etc/ssh',
    ]);
    expect(succeeded(steps)).toEqual([]);
    const text = steps.map((step) => step.output).join('\n');
    for (const line of shadow) expect(text).not.toContain(line);
    const tools = await fileToolsOn('/etc/shadow');
    expectAllRefused(tools, shadow);
  });

  it("cannot reach the server's data directory: its SQLite file, its file store, the sandbox storage", async () => {
    const db = join(rig.dataDir, 'longhand.db');
    expect(readFileSync(db).subarray(0, 15).toString()).toBe('SQLite format 3');
    const steps = await runSteps(attacker, [
      `ls -la ${rig.dataDir}`,
      `head -c 64 ${db}`,
      `ls ${join(rig.dataDir, 'files')}`,
      `ls ${join(rig.dataDir, 'sandbox', 'workspaces')}`,
      `ls /proc/1/root${rig.dataDir}`,
    ]);
    expect(succeeded(steps)).toEqual([]);
    // Nothing by that name anywhere the sandbox can see (the system directories aside).
    const [found] = await runSteps(attacker, ["find / -xdev \\( -path /proc -o -path /usr -o -path /sys \\) -prune -o -name 'longhand.db*' -print 2>/dev/null; true"]);
    expect(found!.output).toBe('');
    expectAllRefused(await fileToolsOn(db), ['SQLite format']);
  });

  it("cannot read another session's workspace through its host path", async () => {
    const file = join(victimHost.workspace, 'victim-secret.txt');
    const steps = await runSteps(attacker, [
      `cat ${file}`,
      `ls ${victimHost.workspace}`,
      `ls ${dirname(victimHost.workspace)}`,
      `cat ${join(victimHost.home, '.ssh', 'id_ed25519')}`,
      `cat /proc/1/root${file}`,
    ]);
    expect(succeeded(steps)).toEqual([]);
    expect(steps.map((step) => step.output).join('\n')).not.toContain(victimSecret);
    expectAllRefused(await fileToolsOn(file), [victimSecret]);
    expectAllRefused(await fileToolsOn(join(victimHost.home, '.ssh', 'id_ed25519')), [victimSecret]);
  });

  it("cannot reach another session's files through the paths of its sandbox", async () => {
    const steps = await runSteps(attacker, [
      'cat /workspace/victim-secret.txt',
      'cat ~/.ssh/id_ed25519',
      'cat /proc/[0-9]*/root/workspace/victim-secret.txt',
      'cat /proc/[0-9]*/cwd/victim-secret.txt',
    ]);
    expect(succeeded(steps)).toEqual([]);
    const [search] = await runSteps(attacker, ["grep -rslE 'victim-secret-[0-9a-f]{24}' /workspace /home /tmp /mnt /run /opt /proc/[0-9]*/root/workspace; true"]);
    expect(search!.output).toBe('');
    const outcomes = await attacker.calls([
      { name: 'read', input: { file_path: '/workspace/victim-secret.txt' } },
      { name: 'read', input: { file_path: '/home/agent/.ssh/id_ed25519' } },
      { name: 'grep', input: { pattern: 'victim-secret-[0-9a-f]+', path: '/' } },
      { name: 'grep', input: { pattern: 'victim-secret-[0-9a-f]+' } },
      { name: 'glob', input: { pattern: '/**/victim-secret.txt' } },
    ]);
    for (const outcome of outcomes) expect(outcome.text).not.toContain(victimSecret);
    expect(outcomes.map((outcome) => outcome.isError)).toEqual([true, true, true, false, outcomes[4]!.isError]);
    expect(outcomes[4]!.text).not.toContain('victim-secret.txt\n');
    // The victim's files are exactly as they were.
    expect(new Map([...fingerprintTree(victimHost.workspace), ...fingerprintTree(victimHost.home)])).toEqual(victimBefore);
  });

  it("cannot read the server's own files (its source, its working directory, its process)", async () => {
    const source = import.meta.filename;
    expect(readFileSync(source, 'utf8')).toContain(SOURCE_MARKER);
    const steps = await runSteps(attacker, [
      `cat ${source}`,
      `ls ${process.cwd()}`,
      `ls ${join(process.cwd(), 'node_modules')}`,
      `cat /proc/1/root${source}`,
      `cat /proc/${process.pid}/root${source}`,
      `cat ${join(process.cwd(), 'package.json')}`,
    ]);
    expect(succeeded(steps)).toEqual([]);
    expect(steps.map((step) => step.output).join('\n')).not.toContain(SOURCE_MARKER);
    expectAllRefused(await fileToolsOn(source), [SOURCE_MARKER]);
  });
});

describe('host processes', () => {
  it('sees only its own processes under /proc, none of the host and none of the server', async () => {
    const [pids, commands, status] = await runSteps(attacker, [
      'ls -d /proc/[0-9]* | wc -l',
      "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done",
      `ls /proc/${process.pid}/ 2>&1 >/dev/null | head -1; cat /proc/${process.pid}/cmdline 2>/dev/null | tr '\\0' ' '`,
    ]);
    // bwrap, the supervisor, the shell and what the step itself runs.
    expect(Number(pids!.output)).toBeLessThan(12);
    for (const line of commands!.output.split('\n').filter(Boolean)) {
      expect(line).toMatch(/^(\/usr\/bin\/bwrap |\/usr\/bin\/perl \/opt\/longhand\/supervisor\/|\/bin\/bash|bash|ls|tr|cat|wc|head)/);
    }
    expect(commands!.output).not.toContain('vitest');
    expect(status!.output).not.toContain('vitest');
  });

  it("cannot read the environment of the host's pid 1 or of the server's process", async () => {
    const steps = await runSteps(attacker, [
      "tr '\\0' '\\n' < /proc/1/environ",
      `tr '\\0' '\\n' < /proc/${process.pid}/environ`,
      "tr '\\0' '\\n' < /proc/2/environ",
    ]);
    const text = steps.map((step) => step.output).join('\n');
    for (const secret of rig.secrets) expect(text).not.toContain(secret);
    for (const name of rig.secretNames) expect(text).not.toContain(name);
    // The environment of the sandbox's own pid 1 (bwrap) is empty: it was started with none.
    expect(steps[0]!.output).toBe('');
    const reads = await attacker.calls([
      { name: 'read', input: { file_path: '/proc/1/environ' } },
      { name: 'read', input: { file_path: `/proc/${process.pid}/environ` } },
      { name: 'read', input: { file_path: '/proc/self/environ' } },
    ]);
    expectAllRefused(reads, rig.secrets);
  });

  it('cannot signal or stop the server from inside the sandbox', async () => {
    const steps = await runSteps(attacker, [`kill -STOP ${process.pid}`, `kill -9 ${process.pid}`]);
    expect(steps[0]!.output + steps[1]!.output).toMatch(/No such process|Operation not permitted/);
    // Still here: the afterEach health check talks to the server and runs a command elsewhere.
    expect((await attacker.bash('echo still-usable')).text).toBe('still-usable');
  });
});
