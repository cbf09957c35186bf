import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxError, type ProvidedSandbox, type SandboxProvider } from '@longhand/sandbox';
import { sandboxId } from '../support/providers.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

/**
 * Shell that prints `alive` or `dead` for a pid. A killed process whose new parent has not reaped
 * it yet is a zombie (the unsandboxed provider's orphans go to the host's init): dead too.
 */
const liveness = (pid: string) => `s=$(ps -o stat= -p ${pid} 2>/dev/null); case "$s" in ''|Z*) echo dead;; *) echo alive;; esac`;

/** Expects `promise` to fail with a SandboxError of `code`. */
export async function expectSandboxError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error, `expected a SandboxError ${code}`).toBeInstanceOf(SandboxError);
  expect((error as SandboxError).code).toBe(code);
}

/**
 * The behaviour every sandbox provider must have: the persistent shell, exec, confined file
 * operations and the lifecycle. Paths are relative to the sandbox's workdir, since the
 * unsandboxed provider's workdir is a host directory.
 */
export function sandboxConformance(name: string, makeProvider: () => Promise<SandboxProvider>): void {
  describe(`${name} sandbox`, () => {
    let provider: SandboxProvider;
    let sandbox: ProvidedSandbox;

    beforeAll(async () => {
      provider = await makeProvider();
      sandbox = await provider.open(sandboxId());
      await sandbox.start();
    });
    afterAll(async () => {
      await sandbox?.close();
    });

    describe('persistent shell', () => {
      it('keeps the working directory and exported variables between commands', async () => {
        await sandbox.shell('mkdir -p keep/sub && cd keep/sub && export KEPT=yes && LOCAL=also');
        const result = await sandbox.shell('pwd; echo "$KEPT $LOCAL"; bash -c \'echo "child sees $KEPT"\'');
        expect(result.output).toBe(`${sandbox.workdir}/keep/sub\nyes also\nchild sees yes\n`);
        expect(result.exitCode).toBe(0);
        await sandbox.shell(`cd ${sandbox.workdir}`);
      });

      it('reports the exit status and interleaves stdout and stderr as produced', async () => {
        const result = await sandbox.shell('echo out; echo err >&2; echo out2; exit_with() { return $1; }; exit_with 7');
        expect(result).toEqual({ output: 'out\nerr\nout2\n', exitCode: 7, timedOut: false, interrupted: false, truncated: false });
      });

      it('gives commands an empty stdin, so one that reads it cannot swallow the next request', async () => {
        const read = await sandbox.shell('cat; read line; echo "[$line] $?"');
        expect(read.output).toBe('[] 1\n');
        expect((await sandbox.shell('echo still here')).output).toBe('still here\n');
      });

      it('fails a command with a syntax error without breaking the shell', async () => {
        const broken = await sandbox.shell('if then fi (');
        expect(broken.exitCode).toBe(2);
        expect(broken.output).toContain('syntax error');
        expect((await sandbox.shell('echo ok')).output).toBe('ok\n');
      });

      it('keeps its framing when a command redirects the shell\'s own output', async () => {
        const result = await sandbox.shell('exec >/dev/null 2>&1; echo hidden');
        expect(result.exitCode).toBe(0);
        expect((await sandbox.shell('echo visible')).output).toBe('visible\n');
      });

      it('on timeout kills the whole process tree and does not run the rest of the line', async () => {
        await sandbox.shell('mkdir -p t && cd t && export AFTER_TIMEOUT=kept && rm -f after child.pid');
        const result = await sandbox.shell("sh -c 'sleep 300 & echo $! > child.pid; sleep 300'; touch after", { timeoutMs: 700 });
        expect(result.timedOut).toBe(true);
        expect(result.exitCode).toBeNull();
        await sleep(300);
        const check = await sandbox.shell(`${liveness('"$(cat child.pid)"')}; test -e after && echo ran-on || echo stopped; pwd; echo $AFTER_TIMEOUT`);
        expect(check.output).toBe(`dead\nstopped\n${sandbox.workdir}/t\nkept\n`);
        await sandbox.shell(`cd ${sandbox.workdir}`);
      });

      it('stops a busy builtin loop on timeout', async () => {
        const result = await sandbox.shell('while true; do :; done', { timeoutMs: 500 });
        expect(result.timedOut).toBe(true);
        expect((await sandbox.shell('echo recovered')).output).toBe('recovered\n');
      });

      it('caps the output and says it was truncated', async () => {
        const result = await sandbox.shell("head -c 200000 /dev/zero | tr '\\0' a; echo END", { maxOutputBytes: 1000 });
        expect(result.truncated).toBe(true);
        expect(result.exitCode).toBe(0);
        expect(result.output.length).toBeLessThan(1200);
        expect(result.output.startsWith('aaaa')).toBe(true);
        expect(result.output.endsWith('END\n')).toBe(true);
      });

      it('does not wait for background jobs, which keep running', async () => {
        const started = await sandbox.shell('sleep 60 & echo $!; (sleep 1; echo late) &', { timeoutMs: 20_000 });
        expect(started.timedOut).toBe(false);
        expect(started.exitCode).toBe(0);
        const pid = started.output.split('\n')[0];
        expect((await sandbox.shell(liveness(pid!))).output).toBe('alive\n');
        await sandbox.shell(`kill ${pid}`);
      });

      it('stops the running command when the call is aborted (interrupt)', async () => {
        const controller = new AbortController();
        const pending = sandbox.shell('echo started; sleep 60; echo never', { signal: controller.signal });
        await sleep(300);
        controller.abort();
        const result = await pending;
        expect(result.interrupted).toBe(true);
        expect(result.exitCode).toBeNull();
        expect(result.output).not.toContain('never');
        expect((await sandbox.shell('echo next')).output).toBe('next\n');
      });

      it('survives `exit` by starting a new shell in the same directory', async () => {
        await sandbox.shell('mkdir -p ex && cd ex');
        expect((await sandbox.shell('exit 3')).exitCode).toBe(3);
        expect((await sandbox.shell('pwd')).output).toBe(`${sandbox.workdir}/ex\n`);
        await sandbox.shell(`cd ${sandbox.workdir}`);
      });

      it('restarts into a fresh shell: workdir, no variables, no background jobs', async () => {
        const job = await sandbox.shell('cd /; export GONE=1; sleep 120 & echo $!');
        await sandbox.restartShell();
        const after = await sandbox.shell(`pwd; echo "[$GONE]"; ${liveness(job.output.trim())}`);
        expect(after.output).toBe(`${sandbox.workdir}\n[]\ndead\n`);
      });
    });

    describe('exec', () => {
      it('runs argv without a shell, with stdin, and separates stdout and stderr', async () => {
        const literal = await sandbox.exec(['echo', '$HOME', '*']);
        expect(text(literal.stdout)).toBe('$HOME *\n');
        const piped = await sandbox.exec(['sh', '-c', 'cat; echo oops >&2; exit 4'], { stdin: 'hello' });
        expect(text(piped.stdout)).toBe('hello');
        expect(text(piped.stderr)).toBe('oops\n');
        expect(piped.exitCode).toBe(4);
      });

      it('runs in the given directory, relative to the workdir', async () => {
        await sandbox.shell('mkdir -p exec-dir');
        expect(text((await sandbox.exec(['pwd'], { cwd: 'exec-dir' })).stdout)).toBe(`${sandbox.workdir}/exec-dir\n`);
      });

      it('kills the process tree on timeout', async () => {
        const result = await sandbox.exec(['sh', '-c', 'sleep 300 & echo $! > exec-child.pid; sleep 300'], { timeoutMs: 500 });
        expect(result.timedOut).toBe(true);
        expect(result.exitCode).toBeNull();
        expect((await sandbox.shell(liveness('"$(cat exec-child.pid)"'))).output).toBe('dead\n');
      });

      it('reports a missing program as exit 127', async () => {
        const result = await sandbox.exec(['no-such-program-anywhere']);
        expect(result.exitCode).toBe(127);
        expect(text(result.stderr)).toContain('not found');
      });

      it('caps the output and can be interrupted', async () => {
        const capped = await sandbox.exec(['head', '-c', '100000', '/dev/zero'], { maxOutputBytes: 100 });
        expect(capped.stdout.length).toBe(100);
        expect(capped.truncated).toBe(true);
        const controller = new AbortController();
        const pending = sandbox.exec(['sleep', '60'], { signal: controller.signal });
        await sleep(200);
        controller.abort();
        expect((await pending).interrupted).toBe(true);
      });
    });

    describe('files', () => {
      it('writes with parents, reads back bytes, and resolves relative paths against the workdir', async () => {
        const bytes = new Uint8Array([0, 1, 2, 255, 10, 13]);
        await sandbox.writeFile('deep/er/data.bin', bytes);
        expect(Buffer.from(await sandbox.readFile(`${sandbox.workdir}/deep/er/data.bin`))).toEqual(Buffer.from(bytes));
        await sandbox.writeFile(`${sandbox.workdir}/deep/note.txt`, 'héllo');
        expect(text(await sandbox.readFile('deep/note.txt'))).toBe('héllo');
        expect((await sandbox.shell('cat deep/note.txt')).output).toBe('héllo');
      });

      it('describes paths without following a final symlink', async () => {
        await sandbox.shell('mkdir -p st && echo 12345 > st/f && ln -sfn f st/link && ln -sfn /etc/passwd st/outside');
        expect(await sandbox.stat('st/f')).toMatchObject({ path: `${sandbox.workdir}/st/f`, type: 'file', size: 6 });
        expect(await sandbox.stat('st')).toMatchObject({ type: 'directory' });
        expect(await sandbox.stat('st/link')).toMatchObject({ type: 'symlink' });
        expect(await sandbox.stat('st/outside')).toMatchObject({ type: 'symlink' });
        expect(await sandbox.stat('st/missing')).toBeUndefined();
      });

      it('reports missing files, directories and files over the limit', async () => {
        await expectSandboxError(sandbox.readFile('nope.txt'), 'not_found');
        await sandbox.shell('mkdir -p adir && head -c 5000 /dev/zero > big');
        await expectSandboxError(sandbox.readFile('adir'), 'is_directory');
        await expectSandboxError(sandbox.readFile('big', { maxBytes: 100 }), 'too_large');
        await expectSandboxError(sandbox.writeFile('adir', 'x'), 'is_directory');
      });

      it('refuses paths outside the file roots, with .. or absolute', async () => {
        await expectSandboxError(sandbox.readFile('/etc/passwd'), 'outside_workspace');
        await expectSandboxError(sandbox.readFile(`${'../'.repeat(30)}etc/passwd`), 'outside_workspace');
        await expectSandboxError(sandbox.readFile(`${sandbox.workdir}/../../../../../../etc/passwd`), 'outside_workspace');
        await expectSandboxError(sandbox.writeFile('../../../../../../../../tmp/escaped', 'x'), 'outside_workspace');
        await expectSandboxError(sandbox.stat('/etc'), 'outside_workspace');
      });

      it('refuses symlinks that lead outside, even when they come back', async () => {
        await sandbox.shell('mkdir -p ln && cd ln && ln -sfn /etc etc && ln -sfn /etc/hostname host && ln -sfn "/etc/../$PWD/inside.txt" detour && echo in > inside.txt && ln -sfn inside.txt fine && ln -sfn /tmp/longhand-escape-target dangling && ln -sfn / root');
        await expectSandboxError(sandbox.readFile('ln/etc/passwd'), 'outside_workspace');
        await expectSandboxError(sandbox.readFile('ln/host'), 'outside_workspace');
        await expectSandboxError(sandbox.readFile('ln/detour'), 'outside_workspace');
        await expectSandboxError(sandbox.readFile(`ln/root${sandbox.workdir}/ln/inside.txt`), 'outside_workspace');
        await expectSandboxError(sandbox.writeFile('ln/etc/evil', 'x'), 'outside_workspace');
        await expectSandboxError(sandbox.writeFile('ln/dangling', 'x'), 'outside_workspace');
        expect((await sandbox.shell('test -e /tmp/longhand-escape-target && echo written || echo absent')).output).toBe('absent\n');
        expect(text(await sandbox.readFile('ln/fine'))).toBe('in\n');
      });
    });

    describe('lifecycle', () => {
      it('suspends: every process stops, the files stay, the next call starts it again', async () => {
        await sandbox.writeFile('kept.txt', 'survives');
        const job = await sandbox.shell('sleep 300 & echo $!');
        await sandbox.shell('rm -f exec-running.pid');
        const running = sandbox.exec(['sh', '-c', 'echo $$ > exec-running.pid; exec sleep 300']).catch((err: unknown) => err);
        let execPid = '';
        while (!execPid) {
          if ((await sandbox.stat('exec-running.pid'))?.size) execPid = text(await sandbox.readFile('exec-running.pid')).trim();
          else await sleep(20);
        }
        await sandbox.suspend();
        expect(await running).toMatchObject({ code: 'unavailable' });
        expect(sandbox.state).toBe('stopped');
        expect(text(await sandbox.readFile('kept.txt'))).toBe('survives');
        expect(sandbox.state).toBe('running');
        expect((await sandbox.shell(`${liveness(job.output.trim())}; ${liveness(execPid)}`)).output).toBe('dead\ndead\n');
      });

      it('recovers when its supervisor is killed from inside', async () => {
        // The shell's parent is the supervisor; killing it fails this call, not the next one.
        await expectSandboxError(sandbox.shell('kill -9 $PPID; sleep 5'), 'unavailable');
        expect((await sandbox.shell('echo back')).output).toBe('back\n');
        expect(text(await sandbox.readFile('kept.txt'))).toBe('survives');
      });

      it('gives the shell and exec the variables perl reads at start, without its supervisor reading them', async () => {
        // Each of these would break a perl that read it: a module that does not exist, a library
        // path into the workspace, UTF-8 layers on a byte protocol, unsafe signals.
        const env = { PERL5OPT: '-MLonghand::Nowhere', PERL5LIB: '/nonexistent', PERLIO: ':utf8', PERL_UNICODE: 'SDA', PERL_SIGNALS: 'unsafe' };
        const other = await provider.open(sandboxId(), { env });
        try {
          const shown = await other.shell('echo "$PERL5OPT|$PERL5LIB|$PERLIO|$PERL_UNICODE|$PERL_SIGNALS"');
          expect(shown).toMatchObject({ exitCode: 0, output: '-MLonghand::Nowhere|/nonexistent|:utf8|SDA|unsafe\n' });
          const run = await other.exec(['/bin/sh', '-c', 'echo "$PERL5OPT"']);
          expect(text(run.stdout)).toBe('-MLonghand::Nowhere\n');
          await other.writeFile('bytes.bin', new Uint8Array([0xff, 0x00, 0xe9]));
          expect([...(await other.readFile('bytes.bin'))]).toEqual([0xff, 0x00, 0xe9]);
        } finally {
          await other.close();
        }
      });

      it('refuses calls once closed', async () => {
        const other = await provider.open(sandboxId());
        await other.shell('true');
        await other.close();
        expect(other.state).toBe('closed');
        await expectSandboxError(other.shell('true'), 'closed');
      });
    });
  });
}
