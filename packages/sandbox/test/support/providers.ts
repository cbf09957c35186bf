import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createBubblewrapProvider,
  LocalProvider,
  type BubblewrapProvider,
  type BubblewrapProviderOptions,
  type LocalProviderOptions,
  type UidRange,
} from '@longhand/sandbox';

const roots: string[] = [];

/** A fresh storage root under the temp directory, removed by `removeRoots`. */
export function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'longhand-sandbox-test-'));
  roots.push(root);
  return root;
}

/** Mount points at or under `dir` in this process's namespace, deepest first. */
export function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point): point is string => point !== undefined && (point === dir || point.startsWith(`${dir}/`)));
  return points.sort((a, b) => b.length - a.length);
}

/**
 * Removes every root made by `tempRoot` (files of sandbox uids included: tests run as root),
 * unmounting first whatever overlay a failed test left mounted there.
 */
export function removeRoots(): void {
  for (const root of roots.splice(0)) {
    for (const point of mountsUnder(root)) spawnSync('umount', ['-l', point]);
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * A uid range of its own for each test file: files run in parallel workers, and two storage
 * roots on one host must not hand out the same uid at the same time.
 */
export function testUidRange(): UidRange {
  return { first: 3_000_000 + Math.floor(Math.random() * 900) * 1000, count: 1000 };
}

/** Collects what a provider logs, so tests can read it. */
export function recordingLogger(): { info: (m: string) => void; warn: (m: string) => void; warnings: string[] } {
  const warnings: string[] = [];
  return { info: () => {}, warn: (message) => warnings.push(message), warnings };
}

/** A real bubblewrap provider over a fresh root. */
export function bubblewrapProvider(options: Partial<BubblewrapProviderOptions> = {}): Promise<BubblewrapProvider> {
  return createBubblewrapProvider({ root: tempRoot(), uidRange: testUidRange(), logger: recordingLogger(), ...options });
}

/** The unsandboxed provider over a fresh root. */
export function localProvider(options: Partial<LocalProviderOptions> = {}): LocalProvider {
  return new LocalProvider({ root: tempRoot(), acknowledgeNoIsolation: true, logger: recordingLogger(), ...options });
}

/** A unique sandbox id per call. */
export function sandboxId(prefix = 'sesn'): string {
  return `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
}
