/**
 * A symlink swapped during a call: a process in the sandbox flips paths between the workspace
 * and a directory outside the file roots as fast as it can (support/swapper.py) while the file
 * tools use those paths over and over. A tool that checks a path and then opens it again by name
 * can be caught in between; none may ever return, list, search or change what is outside.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PuppetSession, ToolCall, ToolOutcome } from './support/puppet.js';
import { runSteps } from './support/shell-steps.js';
import { startSecurityRig, type SecurityRig } from './support/security-rig.js';

/**
 * Rounds of calls per test. A call is caught in its window a few times in a hundred at worst
 * (ConfinedFs's read), so 150 rounds of two calls make a miss of the race about one in 10^5.
 */
const ROUNDS = 150;
let rig: SecurityRig;
let agent: PuppetSession;
const outside = `outside-${randomBytes(6).toString('hex')}`;
const secretName = `secret-${randomBytes(6).toString('hex')}.txt`;

beforeAll(async () => {
  rig = await startSecurityRig();
});

beforeEach(async () => {
  // A session per test: hundreds of calls make a long history the next turn would carry.
  agent = await rig.session();
});

afterAll(async () => {
  await rig?.close();
});

afterEach(async () => {
  await stopSwapping();
  await expectOutsideUntouched();
  await rig.expectHealthy();
});

/** Lays out the inside and outside trees and starts the swapper in the background. */
async function startSwapping(): Promise<void> {
  const swapper = readFileSync(join(import.meta.dirname, 'support', 'swapper.py'), 'utf8');
  expect((await agent.call('write', { file_path: '/workspace/swapper.py', content: swapper })).isError).toBe(false);
  const started = await agent.bash(
    [
      'cd /workspace && rm -rf inside flip hostflip race .race-alt .flip-alt .hostflip-alt stop-swapping swaps.txt /tmp/outside',
      `mkdir -p inside flip hostflip /tmp/outside && for d in inside flip hostflip; do echo "inside REPLACE-ME" > $d/f.txt; done`,
      `echo "${outside} REPLACE-ME" > /tmp/outside/f.txt && echo ${outside} > /tmp/outside/${secretName}`,
      // Files that sort before `flip`: a walk spends a while on them between listing the
      // workspace and descending into flip/, which widens the window the swapper aims at.
      'mkdir -p a-padding && for i in $(seq 300); do echo padding > a-padding/$i.txt; done',
      `ln -s inside race && (python3 swapper.py ${rig.dataDir} > swapper.log 2>&1 &)`,
    ].join(' && '),
  );
  expect(started.isError, started.text).toBe(false);
}

async function stopSwapping(): Promise<void> {
  const [stopped] = await runSteps(agent, ['touch /workspace/stop-swapping; for i in $(seq 100); do [ -e /workspace/swaps.txt ] && break; sleep 0.05; done; cat /workspace/swaps.txt /workspace/swapper.log']);
  // The swapper really ran, flipping many times during the calls.
  expect(Number.parseInt(stopped!.output, 10), stopped!.output).toBeGreaterThan(ROUNDS);
}

/** Outside, after the storm: exactly as planted. */
async function expectOutsideUntouched(): Promise<void> {
  const [listing] = await runSteps(agent, ['ls /tmp/outside; cat /tmp/outside/f.txt']);
  expect(listing!.output).toBe(`f.txt\n${secretName}\n${outside} REPLACE-ME`);
}

function repeat(calls: ToolCall[], rounds = ROUNDS): ToolCall[] {
  return Array.from({ length: rounds }, () => calls).flat();
}

function expectNoLeak(outcomes: readonly ToolOutcome[]): void {
  for (const outcome of outcomes) {
    expect(outcome.text).not.toContain(outside);
    expect(outcome.text).not.toContain(secretName);
  }
}

describe('a symlink swapped during a call', () => {
  // ConfinedFs resolves a path component by component, then opens it again by name; a directory
  // on the way swapped for a link in between is followed by the kernel (O_NOFOLLOW guards only the
  // last component). What guards it: the opened descriptor's real path is checked against the
  // roots before a byte is read (supervisor/confined-fs.pl, root_of_fd).
  it('never lets read return a file outside the roots', async () => {
    await startSwapping();
    const outcomes = await agent.calls(repeat([{ name: 'read', input: { file_path: 'race/f.txt' } }, { name: 'read', input: { file_path: 'flip/f.txt' } }]));
    expectNoLeak(outcomes);
    // Some calls did get through (inside), so the race was really run against working calls.
    expect(outcomes.some((outcome) => !outcome.isError && outcome.text.includes('inside REPLACE-ME'))).toBe(true);
  });

  it('never lets glob or grep list or search a directory outside the roots', async () => {
    await startSwapping();
    const outcomes = await agent.calls(
      repeat([
        { name: 'glob', input: { pattern: '*', path: 'flip' } },
        { name: 'glob', input: { pattern: 'race/*' } },
        { name: 'grep', input: { pattern: 'outside-[0-9a-f]+', path: 'flip' } },
        { name: 'grep', input: { pattern: 'outside-[0-9a-f]+', path: 'race' } },
      ], ROUNDS / 3),
    );
    expectNoLeak(outcomes);
  });

  it("never lets glob's walk of the whole workspace enter a subdirectory swapped for a link", async () => {
    await startSwapping();
    expectNoLeak(await agent.calls(repeat([{ name: 'glob', input: { pattern: '**/*' } }], ROUNDS / 3)));
  });

  // ripgrep lists a directory, then opens its subdirectories and files again by path, following a
  // link swapped in meanwhile. What guards it: directories are walked by GNU grep, whose fts walk
  // opens each entry relative to its parent without following links
  // (docs/decisions/2026-11-23-grep-walks-with-gnu-grep.md).
  it("never lets grep's walk of the whole workspace enter a subdirectory swapped for a link", async () => {
    await startSwapping();
    expectNoLeak(await agent.calls(repeat([{ name: 'grep', input: { pattern: 'outside-[0-9a-f]+' } }], ROUNDS / 3)));
  });

  // The same race in writeFile (and in the read-modify-write of edit), which also creates missing
  // parent directories. What guards it: every directory is opened and checked as a descriptor,
  // parents are made and the file opened relative to it, and nothing is truncated before the
  // file's descriptor is proven to be inside a writable root.
  it('never lets write or edit change or create a file outside the roots', async () => {
    await startSwapping();
    const outcomes = await agent.calls(
      repeat([
        { name: 'edit', input: { file_path: 'race/f.txt', old_string: 'REPLACE-ME', new_string: 'EDITED' } },
        { name: 'edit', input: { file_path: 'flip/f.txt', old_string: 'REPLACE-ME', new_string: 'EDITED' } },
        { name: 'write', input: { file_path: 'race/f.txt', content: 'inside REPLACE-ME\n' } },
        { name: 'write', input: { file_path: 'flip/f.txt', content: 'inside REPLACE-ME\n' } },
        { name: 'write', input: { file_path: 'race/new.txt', content: 'created\n' } },
        { name: 'write', input: { file_path: 'flip/sub/new.txt', content: 'created\n' } },
      ], ROUNDS / 3),
    );
    expectNoLeak(outcomes);
  });
});
