/**
 * Symlink and `..` tricks through every file tool (read, write, edit, glob, grep): links to `/`,
 * `/etc`, `/tmp`, the data directory, another session's workspace and the supervisor; `..`
 * chains; absolute paths; paths through /mnt/session/uploads. What lies outside the sandbox's file
 * roots but inside its view (a file in its own /tmp) is the marker: a tool that returns it, or
 * changes it, escaped. Host files are checked from the host.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toFile } from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PuppetSession, ToolCall, ToolOutcome } from './support/puppet.js';
import { runSteps } from './support/shell-steps.js';
import { startSecurityRig, type SecurityRig } from './support/security-rig.js';

let rig: SecurityRig;
let attacker: PuppetSession;
let victimWorkspace: string;
let uploadsHost: string;
const outside = `outside-${randomBytes(6).toString('hex')}`;
const uploaded = `uploaded-${randomBytes(6).toString('hex')}`;

/** Paths that lead out of the file roots: links, `..` chains, absolute paths, via uploads. */
function escapes(file: string): string[] {
  return [
    `l-root/tmp/${file}`,
    `l-tmp/${file}`,
    `inner/l-up/${file}`,
    `l-via-uploads/${file}`,
    `l-chain/${file}`,
    `../tmp/${file}`,
    `../../../../tmp/${file}`,
    `inner/../../tmp/${file}`,
    `/workspace/../tmp/${file}`,
    `/workspace/inner/../../tmp/${file}`,
    `/tmp/${file}`,
    `/mnt/session/uploads/../../../tmp/${file}`,
    `/mnt/session/outputs/../../../tmp/${file}`,
    `/home/agent/../../tmp/${file}`,
    `/proc/self/root/tmp/${file}`,
    `/proc/self/cwd/../tmp/${file}`,
  ];
}

beforeAll(async () => {
  rig = await startSecurityRig();
  const victim = await rig.session();
  await victim.bash('echo victim-file > /workspace/victim.txt');
  victimWorkspace = (await rig.hostMount(victim.id)).workspace;
  const file = await rig.brain.client.beta.files.upload({ file: await toFile(Buffer.from(`${uploaded}\n`), 'data.txt', { type: 'text/plain' }) });
  attacker = await rig.session({ resources: [{ type: 'file', file_id: file.id, mount_path: '/mnt/session/uploads/data.txt' }] });
  const setup = await attacker.bash(
    [
      `mkdir -p /tmp/d /workspace/inner && echo ${outside} > /tmp/o.txt && echo ${outside} > /tmp/d/o.txt`,
      'ln -s / l-root && ln -s /etc l-etc && ln -s /tmp l-tmp && ln -s ../../tmp inner/l-up',
      'ln -s /mnt/session/uploads/../../../tmp l-via-uploads',
      // A chain that passes through the workspace before it leads out.
      'ln -s /workspace/inner/../l-tmp l-chain',
      `ln -s ${rig.dataDir} l-data && ln -s ${join(rig.dataDir, 'longhand.db')} l-db`,
      `ln -s ${victimWorkspace} l-victim && ln -s /opt/longhand/supervisor l-sup && ln -s /etc/shadow l-shadow`,
    ].join(' && '),
  );
  expect(setup.isError, setup.text).toBe(false);
  uploadsHost = (await rig.hostMount(attacker.id)).uploads;
  expect(readFileSync(join(uploadsHost, 'data.txt'), 'utf8')).toBe(`${uploaded}\n`);
});

afterAll(async () => {
  await rig?.close();
});

afterEach(async () => {
  // The files outside the roots are exactly as planted; the uploaded file is untouched.
  const [check] = await runSteps(attacker, ['cat /tmp/o.txt /tmp/d/o.txt; ls /tmp | grep -c pwned || true']);
  expect(check!.output).toBe(`${outside}\n${outside}\n0`);
  expect(readFileSync(join(uploadsHost, 'data.txt'), 'utf8')).toBe(`${uploaded}\n`);
  expect(readFileSync(join(victimWorkspace, 'victim.txt'), 'utf8')).toBe('victim-file\n');
  await rig.expectHealthy();
});

/** Runs the calls and asserts each one failed and leaked none of the markers. */
async function expectEveryCallRefused(calls: ToolCall[], markers: readonly string[] = [outside]): Promise<ToolOutcome[]> {
  const outcomes = await attacker.calls(calls);
  for (const [index, outcome] of outcomes.entries()) {
    const what = `${calls[index]!.name} ${JSON.stringify(calls[index]!.input)}: ${outcome.text}`;
    expect(outcome.isError, what).toBe(true);
    for (const marker of markers) expect(outcome.text, what).not.toContain(marker);
  }
  return outcomes;
}

describe('read', () => {
  it('refuses every path that leads out of the file roots', async () => {
    const paths = [...escapes('o.txt'), 'l-etc/passwd', 'l-root/etc/passwd', 'l-sup/supervisor.pl', '/etc/passwd', '/opt/longhand/supervisor/supervisor.pl'];
    await expectEveryCallRefused(paths.map((file_path) => ({ name: 'read', input: { file_path } })), [outside, 'agent:x:1000', '#!/usr/bin/perl']);
  });

  it('refuses links to host places (data directory, database, another session, shadow)', async () => {
    const paths = ['l-db', 'l-data/longhand.db', 'l-victim/victim.txt', 'l-shadow', join(rig.dataDir, 'longhand.db'), join(victimWorkspace, 'victim.txt')];
    await expectEveryCallRefused(paths.map((file_path) => ({ name: 'read', input: { file_path } })), ['SQLite format', 'victim-file', 'root:']);
  });

  it('reads the uploaded file, read-only, and nothing around it', async () => {
    const [upload] = await attacker.calls([{ name: 'read', input: { file_path: '/mnt/session/uploads/data.txt' } }]);
    expect(upload!.text).toContain(uploaded);
    await expectEveryCallRefused([
      { name: 'read', input: { file_path: '/mnt/session/uploads/../../../etc/passwd' } },
      { name: 'read', input: { file_path: '/mnt/session/uploads/../../../proc/self/environ' } },
      { name: 'write', input: { file_path: '/mnt/session/uploads/data.txt', content: 'pwned' } },
      { name: 'write', input: { file_path: '/mnt/session/uploads/pwned.txt', content: 'pwned' } },
      { name: 'edit', input: { file_path: '/mnt/session/uploads/data.txt', old_string: uploaded, new_string: 'pwned' } },
    ]);
    const [shell] = await runSteps(attacker, ['echo pwned > /mnt/session/uploads/data.txt || rm -f /mnt/session/uploads/data.txt || mv /mnt/session/uploads/data.txt /tmp/']);
    expect(shell!.exitCode).not.toBe(0);
  });
});

describe('write', () => {
  it('refuses every path that leads out of the file roots, and creates nothing there', async () => {
    const paths = [...escapes('pwned-w.txt'), 'l-tmp/o.txt', 'l-tmp/d/o.txt', 'l-etc/pwned', 'l-sup/pwned.pl', 'l-data/pwned', 'l-victim/pwned', 'l-shadow'];
    await expectEveryCallRefused(paths.map((file_path) => ({ name: 'write', input: { file_path, content: 'pwned' } })));
    // Writing through a link into a directory that does not exist yet must not create it outside.
    await expectEveryCallRefused([{ name: 'write', input: { file_path: 'l-tmp/pwned-new-dir/x.txt', content: 'pwned' } }]);
  });
});

describe('edit', () => {
  it('refuses every path that leads out of the file roots, and changes nothing there', async () => {
    const paths = [...escapes('o.txt'), 'l-tmp/d/o.txt', 'l-etc/hosts', 'l-sup/supervisor.pl'];
    await expectEveryCallRefused(paths.map((file_path) => ({ name: 'edit', input: { file_path, old_string: 'outside-', new_string: 'pwned' } })));
  });
});

describe('glob', () => {
  it('refuses roots outside the file roots', async () => {
    const calls: ToolCall[] = [
      ...['l-root', 'l-tmp', 'l-etc', 'inner/l-up', 'l-via-uploads', 'l-chain', 'l-data', 'l-victim', '/tmp', '/etc', '..', '/workspace/..', '/mnt/session/uploads/../../..'].map(
        (path) => ({ name: 'glob', input: { pattern: '**/*', path } }),
      ),
      ...['/tmp/*', '/**/*.txt', '../tmp/*', '**/../../tmp/*', '/workspace/../tmp/*', '/proc/self/root/tmp/*'].map((pattern) => ({ name: 'glob', input: { pattern } })),
    ];
    await expectEveryCallRefused(calls, [outside, 'passwd', 'victim.txt', 'longhand.db']);
  });

  it('lists the workspace without following any link out of it', async () => {
    const outcomes = await attacker.calls([
      { name: 'glob', input: { pattern: '**/*' } },
      { name: 'glob', input: { pattern: '**/*.txt', path: '/workspace' } },
      { name: 'glob', input: { pattern: 'l-*/**' } },
    ]);
    for (const outcome of outcomes) {
      for (const leak of [outside, 'passwd', 'victim.txt', 'longhand.db', 'supervisor.pl']) expect(outcome.text, outcome.text).not.toContain(leak);
    }
  });
});

describe('grep', () => {
  it('refuses roots outside the file roots', async () => {
    const paths = ['l-root', 'l-tmp', 'l-tmp/o.txt', 'l-etc', 'inner/l-up', 'l-via-uploads', 'l-chain', 'l-data', 'l-victim', 'l-shadow', '/tmp', '/etc', '..', '/workspace/..', '/mnt/session/uploads/../../../tmp', '/proc/self/root/tmp'];
    await expectEveryCallRefused(paths.map((path) => ({ name: 'grep', input: { pattern: 'outside-|agent|root|victim', path } })), [outside, 'agent:x:', 'victim-file']);
  });

  it('searches the workspace without following any link out of it', async () => {
    const outcomes = await attacker.calls([
      { name: 'grep', input: { pattern: 'outside-[0-9a-f]+|agent:[x]|victim-fil[e]|use stric[t]' } },
      { name: 'grep', input: { pattern: 'outside-[0-9a-f]+', path: '/workspace' } },
      { name: 'grep', input: { pattern: '.', path: '/mnt/session' } },
    ]);
    for (const outcome of outcomes) {
      for (const leak of [outside, 'agent:x', 'victim-file', 'use strict']) expect(outcome.text).not.toContain(leak);
    }
  });
});
