/**
 * Building an environment's base layer: the install commands run in a sandbox of their own (the
 * same provider, user and read-only system as sessions' sandboxes, so everything lands in the
 * home directory), whose files are then frozen into layers. The sandbox is deleted afterwards,
 * whatever happened; only the layers remain.
 */
import type { NetworkPolicy, Sandbox } from '@longhand/sandbox';
import type { InstallCommand } from './install-command.js';

/** What a build needs of the hands. */
export interface BuildHands {
  /** Starts sandbox `id` (fresh, empty storage) with `policy` applied to its egress. */
  start(id: string, policy: NetworkPolicy): Promise<Sandbox>;
  /** Stops sandbox `id` and freezes its files; returns the layer stack, bottom first. */
  freeze(id: string): Promise<string[]>;
  /** Deletes sandbox `id`: processes, egress proxy and storage. Its frozen layers stay. */
  discard(id: string): Promise<void>;
}

/** A failed install: says which manager, and ends with the last lines it printed. */
export class BaseBuildError extends Error {
  readonly code = 'package_install_failed';
  /** A later attempt may succeed (the registry was down, a version was not published yet). */
  readonly retryable = true;

  constructor(message: string, readonly outputTail: string) {
    super(outputTail ? `${message}\n--- last output ---\n${outputTail}` : message);
    this.name = 'BaseBuildError';
  }
}

/**
 * Runs a command with the egress proxy as every package manager's proxy, and keeps only the end
 * of its output (where installers say what went wrong). Fixed text: the command arrives as "$@".
 * NO_PROXY goes: the build sandbox has no network but its proxy, and a mirror on the host's
 * loopback must be reached through it (the sandbox's own 127.0.0.1 has nothing listening).
 */
export const RUN_SCRIPT = `log="$(mktemp)"
if [ -n "\${HTTP_PROXY:-}" ]; then export npm_config_proxy="$HTTP_PROXY" npm_config_https_proxy="$HTTP_PROXY"; fi
unset NO_PROXY no_proxy
status=0
"$@" >"$log" 2>&1 || status=$?
tail -c ${8 * 1024} "$log"
rm -f "$log"
exit "$status"
`;

/** The argv that runs `command` through `RUN_SCRIPT`, its variables set by env(1). */
export function wrappedArgv(command: InstallCommand): string[] {
  const assignments = Object.entries(command.env).map(([name, value]) => `${name}=${value}`);
  return ['env', ...assignments, 'bash', '-c', RUN_SCRIPT, `longhand-${command.manager}`, ...command.argv];
}

/** Options of `runInstalls`. */
export interface InstallRunOptions {
  /** Longest one manager's install may take. */
  timeoutMs: number;
  log?: (message: string) => void;
}

/**
 * Runs each command in `sandbox`, in order, after checking its manager is there.
 * @throws BaseBuildError naming the missing tool, or the failed manager with its output's tail
 */
export async function runInstalls(sandbox: Sandbox, commands: readonly InstallCommand[], options: InstallRunOptions): Promise<void> {
  for (const command of commands) {
    const probe = await sandbox.exec(command.probe, { timeoutMs: 60_000, maxOutputBytes: 64 * 1024 });
    if (probe.exitCode !== 0) throw new BaseBuildError(`the environment's ${command.manager} packages cannot be installed: ${command.missing}`, '');
    const started = Date.now();
    const result = await sandbox.exec(wrappedArgv(command), {
      timeoutMs: options.timeoutMs,
      maxOutputBytes: 64 * 1024,
      ...(command.stdin !== undefined ? { stdin: command.stdin } : {}),
    });
    const output = new TextDecoder().decode(result.stdout).trimEnd();
    if (result.timedOut) throw new BaseBuildError(`${command.manager} did not finish installing the environment's packages within ${Math.round(options.timeoutMs / 1000)} s`, output);
    if (result.exitCode !== 0) throw new BaseBuildError(`${command.manager} failed to install the environment's packages (exit ${result.exitCode ?? 'unknown'})`, output);
    options.log?.(`${command.manager} install finished in ${Date.now() - started} ms`);
  }
}
