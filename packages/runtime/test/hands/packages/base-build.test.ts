import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BaseBuildError, runInstalls, RUN_SCRIPT, wrappedArgv } from '../../../src/hands/packages/base-build.js';
import type { InstallCommand } from '../../../src/hands/packages/install-command.js';
import type { ExecOptions, ProcessResult, Sandbox } from '@longhand/sandbox';

const command = (argv: string[], env: Record<string, string> = {}): InstallCommand => ({ manager: 'npm', probe: ['true'], missing: 'npm is missing', argv, env });

/** Runs argv on this host, as a sandbox's exec would inside. */
function host(argv: readonly string[], env: Record<string, string> = {}, stdin = ''): { stdout: string; status: number | null } {
  const result = spawnSync(argv[0]!, argv.slice(1), { input: stdin, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env } });
  return { stdout: result.stdout, status: result.status };
}

describe('wrappedArgv', () => {
  it('sets the variables with env(1) and passes the command after the fixed script, untouched', () => {
    const argv = wrappedArgv(command(['npm', 'install', '--', 'a b', '$(id)'], { GOBIN: '/home/agent/.local/bin' }));
    expect(argv).toEqual(['env', 'GOBIN=/home/agent/.local/bin', 'bash', '-c', RUN_SCRIPT, 'longhand-npm', 'npm', 'install', '--', 'a b', '$(id)']);
  });

  it("keeps the command's exit status and the end of its output, and its arguments stay arguments", () => {
    const result = host(wrappedArgv(command(['sh', '-c', 'printf "%s|" "$@"; seq 1 5000; echo oops >&2; exit 3', 'sh', 'a b', '$(id)', ';rm -rf /'])));
    expect(result.status).toBe(3);
    expect(result.stdout.length).toBeLessThanOrEqual(8 * 1024);
    expect(result.stdout.endsWith('4999\n5000\noops\n')).toBe(true);
    expect(host(wrappedArgv(command(['sh', '-c', 'printf "%s|" "$@"', 'sh', 'a b', '$(id)', ';rm -rf /']))).stdout).toBe('a b|$(id)|;rm -rf /|');
  });

  it('points npm at the proxy, drops NO_PROXY, and passes standard input through', () => {
    const probe = command(['sh', '-c', 'echo "$npm_config_proxy ${NO_PROXY-unset} ${no_proxy-unset}"; cat']);
    const result = host(wrappedArgv(probe), { HTTP_PROXY: 'http://127.0.0.1:3128', NO_PROXY: 'localhost,127.0.0.1' }, 'status file');
    expect(result).toEqual({ stdout: 'http://127.0.0.1:3128 unset unset\nstatus file', status: 0 });
  });
});

/** A sandbox whose exec answers from a table: enough to check what runInstalls concludes. */
function scripted(answers: Array<Partial<ProcessResult> & { stdout?: Uint8Array }>): Sandbox & { calls: Array<{ argv: readonly string[]; options?: ExecOptions }> } {
  const calls: Array<{ argv: readonly string[]; options?: ExecOptions }> = [];
  return {
    calls,
    exec: async (argv: readonly string[], options?: ExecOptions) => {
      calls.push({ argv, ...(options ? { options } : {}) });
      const answer = answers.shift() ?? {};
      return { stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0, timedOut: false, interrupted: false, truncated: false, ...answer };
    },
  } as unknown as Sandbox & { calls: Array<{ argv: readonly string[]; options?: ExecOptions }> };
}

describe('runInstalls', () => {
  it('probes each manager, then installs with its standard input and the time limit', async () => {
    const sandbox = scripted([{}, {}]);
    await runInstalls(sandbox, [{ ...command(['apt-get']), stdin: 'db' }], { timeoutMs: 5000 });
    expect(sandbox.calls[0]!.argv).toEqual(['true']);
    expect(sandbox.calls[1]!.options).toMatchObject({ timeoutMs: 5000, stdin: 'db' });
  });

  it('names the missing tool, and gives the tail of a failed install', async () => {
    await expect(runInstalls(scripted([{ exitCode: 127 }]), [command(['npm'])], { timeoutMs: 1 })).rejects.toThrow("the environment's npm packages cannot be installed: npm is missing");
    const failed = runInstalls(scripted([{}, { exitCode: 1, stdout: new TextEncoder().encode('npm error 404 Not Found\n') }]), [command(['npm'])], { timeoutMs: 1 });
    await expect(failed).rejects.toBeInstanceOf(BaseBuildError);
    await expect(failed).rejects.toThrow("npm failed to install the environment's packages (exit 1)\n--- last output ---\nnpm error 404 Not Found");
    await expect(runInstalls(scripted([{}, { exitCode: null, timedOut: true }]), [command(['npm'])], { timeoutMs: 120_000 })).rejects.toThrow('did not finish installing the environment\'s packages within 120 s');
  });
});
