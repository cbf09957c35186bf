import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxError } from '@longhand/sandbox';
import { SUPERVISOR_SOURCE_DIR, SupervisorClient } from '../../src/supervisor-client.js';
import { removeRoots, tempRoot } from '../support/providers.js';
import type { ExecAnswer, ShellAnswer as SupervisorShellAnswer } from '../../src/supervised-sandbox.js';

// The supervisor is a Perl program run inside the sandbox; these tests drive it unsandboxed,
// through its protocol, the way the local provider does.

/** What `shell` answers, with the working directory the port leaves out. */
interface ShellAnswer extends SupervisorShellAnswer {
  cwd: string;
}
type Child = ChildProcessByStdio<Writable, Readable, Readable>;

const running: { client: SupervisorClient; child: Child }[] = [];

/** Starts a supervisor over `workdir` (its only root, writable) and waits until it is ready. */
async function startSupervisor(workdir: string, shell = '/bin/bash'): Promise<{ client: SupervisorClient; child: Child }> {
  const config = { workdir, roots: [{ path: workdir, writable: true }], shell, ownPidNamespace: false };
  const child = spawn('perl', [join(SUPERVISOR_SOURCE_DIR, 'supervisor.pl'), JSON.stringify(config)], {
    cwd: workdir,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const client = new SupervisorClient(child);
  running.push({ client, child });
  await client.ready;
  return { client, child };
}

const call = <T>(client: SupervisorClient, op: string, params: Record<string, unknown> = {}) => client.request<T>(op, params, { deadlineMs: 60_000 });
const shell = (client: SupervisorClient, command: string, maxOutputBytes = 1024 * 1024, timeoutMs = 60_000) =>
  call<ShellAnswer>(client, 'shell', { command, timeoutMs, maxOutputBytes });
const exec = (client: SupervisorClient, argv: string[], options: { stdin?: Buffer; maxOutputBytes?: number } = {}) =>
  call<ExecAnswer>(client, 'exec', {
    argv,
    timeoutMs: 60_000,
    maxOutputBytes: options.maxOutputBytes ?? 64 * 1024 * 1024,
    ...(options.stdin ? { stdin: options.stdin.toString('base64') } : {}),
  });
const readFile = async (client: SupervisorClient, path: string, maxBytes: number) => Buffer.from((await call<{ data: string }>(client, 'readFile', { path, maxBytes })).data, 'base64');
const writeFile = (client: SupervisorClient, path: string, data: Buffer | string) => call(client, 'writeFile', { path, data: Buffer.from(data).toString('base64') });
const stat = async (client: SupervisorClient, path: string) => (await call<{ info: { path: string; type: string; size: number } | null }>(client, 'stat', { path })).info;

afterAll(() => {
  for (const { client, child } of running.splice(0)) {
    client.fail('test over');
    child.kill('SIGKILL');
  }
  removeRoots();
});

describe('output capture', () => {
  it('keeps everything under the limit', async () => {
    const { client } = await startSupervisor(tempRoot());
    const result = await shell(client, 'printf hello; printf world', 10);
    expect(result.truncated).toBe(false);
    expect(result.output).toBe('helloworld');
  });

  it('keeps the head and the tail of a long output, and says how much is left out', async () => {
    const { client } = await startSupervisor(tempRoot());
    const result = await shell(client, 'for piece in 0123 4567 89ab cdef; do printf $piece; sleep 0.01; done', 8);
    expect(result.truncated).toBe(true);
    expect(result.output).toBe('0123\n[... 8 bytes of output omitted ...]\ncdef');
  });

  it('keeps only the head in head mode', async () => {
    const { client } = await startSupervisor(tempRoot());
    const result = await exec(client, ['printf', 'abcdefgh'], { maxOutputBytes: 5 });
    expect(Buffer.from(result.stdout, 'base64').toString()).toBe('abcde');
    expect(result.truncated).toBe(true);
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
  const supervisor = startSupervisor(work);

  it('resolves .. against real directories and relative symlinks inside', async () => {
    const { client } = await supervisor;
    expect((await stat(client, 'a/b/../b/./f.txt'))?.path).toBe(join(work, 'a', 'b', 'f.txt'));
    expect((await readFile(client, 'relative', 100)).toString()).toBe('inside');
  });

  it("stops symlink loops and refuses a link to the root's parent", async () => {
    const { client } = await supervisor;
    await expect(readFile(client, 'loop1', 100)).rejects.toMatchObject({ code: 'io_error' });
    await expect(stat(client, 'parent/work/a')).rejects.toThrow(/outside/);
    await expect(readFile(client, 'a/b/f.txt/x', 100)).rejects.toThrow(/not a directory/);
  });

  it('resolves a missing tail for creation, never through ..', async () => {
    const { client } = await supervisor;
    await expect(writeFile(client, 'a/new/../../../x', 'escaped')).rejects.toBeInstanceOf(SandboxError);
    await writeFile(client, 'a/new/dir/file', 'created');
    expect(readFileSync(join(work, 'a', 'new', 'dir', 'file'), 'utf8')).toBe('created');
    expect((await stat(client, 'a/new/dir/file'))?.path).toBe(join(work, 'a', 'new', 'dir', 'file'));
    // Now that a/new exists, the same path climbs out through real directories: still refused.
    await expect(writeFile(client, 'a/new/../../../x', 'escaped')).rejects.toMatchObject({ code: 'outside_workspace' });
    expect(existsSync(join(root, 'x'))).toBe(false);
  });

  it('reads a file of the default limit (32 MiB) and refuses one byte more', async () => {
    const { client } = await supervisor;
    const big = randomBytes(32 * 1024 * 1024);
    writeFileSync(join(work, 'big.bin'), big);
    expect((await readFile(client, 'big.bin', big.length)).equals(big)).toBe(true);
    await expect(readFile(client, 'big.bin', big.length - 1)).rejects.toMatchObject({ code: 'too_large' });
  });

  it('writes bytes of any value, base64 of every length, exactly', async () => {
    const { client } = await supervisor;
    for (const length of [0, 1, 2, 3, 62, 63, 64, 125, 126, 127, 1000, 5 * 1024 * 1024 + 7]) {
      const bytes = randomBytes(length);
      await writeFile(client, `w/${length}.bin`, bytes);
      expect(readFileSync(join(work, 'w', `${length}.bin`)).equals(bytes), `${length} bytes`).toBe(true);
      expect((await readFile(client, `w/${length}.bin`, length)).equals(bytes), `${length} bytes`).toBe(true);
    }
  });
});

describe('shell session', () => {
  it('fails a command at once, saying why, when bash cannot be started (no dead shell is kept)', async () => {
    const { client } = await startSupervisor(tempRoot(), join(tempRoot(), 'no-such-bash'));
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const started = Date.now();
      await expect(shell(client, 'echo hi', 1024, 60_000)).rejects.toThrow(/bash could not be started/);
      expect(Date.now() - started).toBeLessThan(10_000);
    }
  });

  it('keeps the output a command printed just before `exit`', async () => {
    const { client } = await startSupervisor(tempRoot());
    const result = await shell(client, 'echo bye; exit 3');
    expect(result).toMatchObject({ output: 'bye\n', exitCode: 3 });
    expect((await shell(client, 'echo again')).output).toBe('again\n');
  });
});

describe('protocol', () => {
  it('answers with valid UTF-8 as node decodes it: invalid bytes become U+FFFD, control characters are escaped', async () => {
    const { client } = await startSupervisor(tempRoot());
    const printf = "printf 'h\\303\\251llo \\377 \\342\\202 \\355\\240\\200 \\360\\237\\230\\200 \\300\\257 \\001\\033\"\\\\ \\t\\r\\n end \\342'";
    const raw = Buffer.from((await exec(client, ['bash', '-c', printf])).stdout, 'base64');
    expect(raw.length).toBeGreaterThan(30);
    expect((await shell(client, printf)).output).toBe(raw.toString('utf8'));
  });

  it('ignores a line that is not JSON, says so on stderr, and goes on', async () => {
    const { client, child } = await startSupervisor(tempRoot());
    child.stdin.write('this is not json\n{"id": 99, "op": \n');
    expect(await call(client, 'ping')).toEqual({});
    expect(client.stderrTail).toContain('supervisor: ignoring a request that is not JSON');
    await expect(call(client, 'no-such-op')).rejects.toThrow('unknown op "no-such-op"');
  });

  it('never blocks: a large command while bash writes a lot, exec stdin and stdout both large', async () => {
    const { client } = await startSupervisor(tempRoot());
    const filler = 'x'.repeat(2 * 1024 * 1024);
    const result = await shell(client, `cat <<'EOF'\n${filler}\nEOF\nhead -c 3000000 /dev/zero | tr '\\0' a; echo END`, 1000);
    expect(result.exitCode).toBe(0);
    expect(result.output.startsWith('x'.repeat(100))).toBe(true);
    expect(result.output.endsWith('aEND\n')).toBe(true);
    const input = randomBytes(8 * 1024 * 1024);
    const cat = await exec(client, ['cat'], { stdin: input });
    expect(cat.exitCode).toBe(0);
    expect(Buffer.from(cat.stdout, 'base64').equals(input)).toBe(true);
  });

  it('serves exec, file operations and pings while a shell command runs, and runs shell commands in order', async () => {
    const { client } = await startSupervisor(tempRoot());
    const slow = shell(client, 'sleep 1; echo first');
    const second = shell(client, 'echo second');
    const started = Date.now();
    await Promise.all([call(client, 'ping'), exec(client, ['true']), writeFile(client, 'during.txt', 'x'), stat(client, 'during.txt')]);
    expect(Date.now() - started).toBeLessThan(800);
    expect((await slow).output).toBe('first\n');
    expect((await second).output).toBe('second\n');
  });

  it('exits 0 when its stdin ends, taking the shell and its background jobs along', async () => {
    const { client, child } = await startSupervisor(tempRoot());
    const pid = Number((await shell(client, 'sleep 300 & echo $!')).output.trim());
    expect(pid).toBeGreaterThan(1);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdin.end();
    expect(await exited).toBe(0);
    const state = (() => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.[0];
      } catch {
        return 'gone';
      }
    })();
    expect(['Z', 'X', 'gone']).toContain(state);
  });
});
