import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeRoots, tempRoot } from '../support/providers.js';

// The supervisor is plain JavaScript (CommonJS) run inside the sandbox; load it as such.
interface Capture {
  push(chunk: Buffer): void;
  readonly truncated: boolean;
  bytes(): Buffer;
}
interface Confined {
  resolve(path: string, options?: { allowMissing?: boolean }): { path: string; missing: string[] };
  readFile(path: string, maxBytes: number): Promise<Buffer>;
}
const supervisorDir = new URL('../../src/supervisor/', import.meta.url).href;
const { OutputCapture } = (await import(`${supervisorDir}output-capture.cjs`)) as { OutputCapture: new (limit: number, mode?: string) => Capture };
const { ConfinedFs } = (await import(`${supervisorDir}confined-fs.cjs`)) as {
  ConfinedFs: new (roots: { path: string; writable: boolean }[], workdir: string) => Confined;
};

interface Shell {
  run(command: string, options: { timeoutMs: number; maxOutputBytes: number }): Promise<{ output: string; exitCode: number | null }>;
  startEarly(): void;
}
const { ShellSession } = (await import(`${supervisorDir}shell-session.cjs`)) as {
  ShellSession: new (options: { shell: string; workdir: string; env: Record<string, string>; ownPidNamespace: boolean; protectedSessions: () => Set<number> }) => Shell;
};

afterAll(removeRoots);

describe('output capture', () => {
  it('keeps everything under the limit', () => {
    const capture = new OutputCapture(10, 'head-tail');
    capture.push(Buffer.from('hello'));
    capture.push(Buffer.from('world'));
    expect(capture.truncated).toBe(false);
    expect(capture.bytes().toString()).toBe('helloworld');
  });

  it('keeps the head and the tail of a long output, and says how much is left out', () => {
    const capture = new OutputCapture(8, 'head-tail');
    for (const piece of ['0123', '4567', '89ab', 'cdef']) capture.push(Buffer.from(piece));
    expect(capture.truncated).toBe(true);
    expect(capture.bytes().toString()).toBe('0123\n[... 8 bytes of output omitted ...]\ncdef');
  });

  it('keeps only the head in head mode', () => {
    const capture = new OutputCapture(5);
    capture.push(Buffer.from('abcdefgh'));
    expect(capture.bytes().toString()).toBe('abcde');
    expect(capture.truncated).toBe(true);
  });
});

describe('confined paths', () => {
  const root = tempRoot();
  const work = join(root, 'work');
  mkdirSync(join(work, 'a', 'b'), { recursive: true });
  writeFileSync(join(work, 'a', 'b', 'f.txt'), 'inside');
  symlinkSync('loop2', join(work, 'loop1'));
  symlinkSync('loop1', join(work, 'loop2'));
  symlinkSync('a/b/../b/f.txt', join(work, 'relative'));
  symlinkSync(root, join(work, 'parent'));
  const fs = new ConfinedFs([{ path: work, writable: true }], work);

  it('resolves .. against real directories and relative symlinks inside', async () => {
    expect(fs.resolve('a/b/../b/./f.txt').path).toBe(join(work, 'a', 'b', 'f.txt'));
    expect((await fs.readFile('relative', 100)).toString()).toBe('inside');
  });

  it('stops symlink loops and refuses a link to the root\'s parent', async () => {
    await expect(fs.readFile('loop1', 100)).rejects.toMatchObject({ code: 'io_error' });
    expect(() => fs.resolve('parent/work/a')).toThrow(/outside/);
    expect(() => fs.resolve('a/b/f.txt/x')).toThrow(/not a directory/);
  });

  it('resolves a missing tail for creation, never through ..', () => {
    expect(fs.resolve('a/new/dir/file', { allowMissing: true })).toEqual({ path: join(work, 'a'), missing: ['new', 'dir', 'file'] });
    expect(() => fs.resolve('a/new/../../../x', { allowMissing: true })).toThrow();
  });
});

describe('shell session', () => {
  it('fails a command at once, saying why, when bash cannot be started (no dead shell is kept)', async () => {
    const session = new ShellSession({ shell: join(tempRoot(), 'no-such-bash'), workdir: tempRoot(), env: {}, ownPidNamespace: false, protectedSessions: () => new Set() });
    session.startEarly();
    for (let attempt = 0; attempt < 2; attempt += 1) {
      await expect(session.run('echo hi', { timeoutMs: 60_000, maxOutputBytes: 1024 })).rejects.toThrow(/bash could not be started/);
    }
  });
});
