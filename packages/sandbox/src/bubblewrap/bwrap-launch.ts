/**
 * Starting one sandbox: bwrap as the sandbox's uid around the supervisor, its cgroup, and the
 * `stop` that takes every one of its processes down.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { SandboxLimits, SandboxSpec } from '../provider.js';
import { SandboxError } from '../sandbox.js';
import type { LaunchedSupervisor } from '../supervised-sandbox.js';
import { splitForSupervisor } from '../sandbox-env.js';
import { SupervisorClient } from '../supervisor-client.js';
import type { WorkspaceRecord, WorkspaceStore } from '../workspace/workspace-store.js';
import { bwrapArgs, SANDBOX_PATHS, type SystemEntry } from './bwrap-args.js';
import type { CgroupDriver, SandboxCgroup } from './cgroups.js';
import type { HostRuntime } from './host-runtime.js';
import { descendantsOf, sweepUid } from './host-processes.js';
import { seccompProgram } from './seccomp-filter.js';

/** What the provider found and prepared on the host, shared by every launch. */
export interface BubblewrapHost {
  /** The bwrap binary. */
  bwrap: string;
  /** Whether the server runs as root (sandboxes then have uids of their own). */
  root: boolean;
  /** Where sandboxes' files live. */
  store: WorkspaceStore;
  /** The supervisor's files and the sandbox's /etc, prepared once. */
  runtime: HostRuntime;
  /** The base system entries to show read-only. */
  system: readonly SystemEntry[];
  /** The perl binary the supervisor runs under (in the system directories, so visible inside). */
  perlPath: string;
  /** Host files bound read-only at the same path (a `node` outside /usr and its libraries). */
  extraReadOnly: readonly string[];
  /** The cgroup hierarchy to put sandboxes in, when there is a usable one. */
  cgroups: CgroupDriver | undefined;
  /** `prlimit`, for RLIMIT_NPROC when there is no pids controller. */
  prlimit: string | undefined;
  /** Limits before the spec's own. */
  limits: Required<SandboxLimits>;
  /** Receives what could not be applied (a cgroup that failed, processes that survived). */
  logger: { warn(message: string): void } | undefined;
}

const START_TIMEOUT_MS = 20_000;
const FD = { seccomp: 3, info: 4, start: 5 } as const;

/**
 * The starter's program: read the command line (NUL-terminated arguments) from fd 5, close it,
 * exec it. Descriptors 0 to 4 (stdio, the seccomp program, bwrap's info) pass on to bwrap.
 */
const STARTER = 'open(my $f, "<&=", 5) or exit 111; my $a = do { local $/; <$f> }; close $f; my @a = split /\\0/, $a // ""; exit 111 unless @a; exec { $a[0] } @a; exit 127';

/**
 * Starts the sandbox of `record` and resolves once its supervisor serves requests (and, with a
 * cgroup, every one of its processes is inside it).
 * @throws SandboxError `unavailable` (retryable) when it does not start
 */
export async function launchSandbox(host: BubblewrapHost, record: WorkspaceRecord, spec: SandboxSpec, env: Record<string, string>): Promise<LaunchedSupervisor> {
  const limits = { ...host.limits, ...spec.limits };
  let cgroup: SandboxCgroup | undefined;
  try {
    cgroup = host.cgroups?.create(`${record.id}-${randomBytes(4).toString('hex')}`, limits);
  } catch (err) {
    host.logger?.warn(`sandbox ${record.id}: no cgroup (${(err as Error).message}); limits not applied`);
  }
  // The starter: a process of the sandbox's uid that waits for its command line. It joins the
  // group while the store mounts the view (moving a process into a v1 group costs a millisecond
  // or more per controller), then execs bwrap, so every process of the sandbox, bwrap's own
  // included, is born inside the group. The command line is only known once the view is mounted.
  const child = spawn(host.perlPath, ['-e', STARTER], {
    uid: record.uid,
    gid: record.gid,
    env: {},
    stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
  });
  const client = new SupervisorClient(child as never);
  /** The sandbox's pid 1, as the host numbers it (known once bwrap reports it). */
  let init = 0;
  let mounted = false;
  // A freeze and a stop never overlap: a stop's kill thaws the group, which would wake a
  // sandbox in the middle of a snapshot. Both go through `serialize`.
  let stopping = false;
  let turn: Promise<unknown> = Promise.resolve();
  const serialize = <T>(work: () => Promise<T>): Promise<T> => {
    const run = turn.then(work, work);
    turn = run.catch(() => {});
    return run;
  };
  const stop = async () => {
    stopping = true;
    client.fail('the sandbox was stopped');
    await serialize(async () => {
      try {
        await cgroup?.killAll();
      } catch (err) {
        host.logger?.warn(`sandbox ${record.id}: ${(err as Error).message}`);
      }
    });
    child.kill('SIGKILL');
    await client.exited;
    // The sandbox's pid 1 (bwrap, outside the group) follows its parent a moment later.
    if (init) await waitGone(init, record.uid);
    // Without a group, the sandbox's own uid finds what is still dying.
    if (!cgroup && host.root) await sweepUid(record.uid).catch((err: Error) => host.logger?.warn(`sandbox ${record.id}: ${err.message}`));
    await cgroup?.remove().catch((err: Error) => host.logger?.warn(`sandbox ${record.id}: ${err.message}`));
    if (mounted) await host.store.unmount(record.id);
  };
  const group = cgroup;
  const quiesce =
    group?.freeze && group.thaw
      ? <T>(work: () => Promise<T>): Promise<T> =>
          serialize(async () => {
            if (stopping) return work();
            try {
              await group.freeze!();
            } catch (err) {
              throw new SandboxError('unavailable', `sandbox ${record.id} could not be frozen: ${(err as Error).message}`, true);
            }
            try {
              return await work();
            } finally {
              await thawOrStop(group, () => void stop(), (message) => host.logger?.warn(`sandbox ${record.id}: ${message}`));
            }
          })
      : undefined;
  try {
    if (child.pid === undefined) throw new SandboxError('unavailable', `sandbox ${record.id}: the starter could not be spawned (the host may be at its process or memory limit)`);
    const joining = cgroup?.add(child.pid);
    joining?.catch(() => {});
    let mount = await host.store.mount(record.id);
    mounted = true;
    await joining;
    if (spec.uploadsDir) mount = { ...mount, uploads: spec.uploadsDir };
    const forSupervisor = splitForSupervisor(env);
    const config = {
      workdir: SANDBOX_PATHS.workspace,
      roots: [
        { path: SANDBOX_PATHS.workspace, writable: true },
        { path: SANDBOX_PATHS.home, writable: true },
        { path: SANDBOX_PATHS.outputs, writable: true },
        { path: SANDBOX_PATHS.uploads, writable: false },
      ],
      shell: '/bin/bash',
      ownPidNamespace: true,
      env: forSupervisor.deferred,
      ...(spec.proxySocketPath ? { proxy: { socketPath: SANDBOX_PATHS.proxySocket, host: '127.0.0.1', port: 3128 } } : {}),
    };
    const args = bwrapArgs({
      system: host.system,
      extraReadOnly: host.extraReadOnly,
      etcDir: host.runtime.etcDir,
      etcBinds: host.runtime.etcBinds,
      supervisorDir: host.runtime.supervisorDir,
      mount,
      env: forSupervisor.process,
      tmpBytes: limits.tmpBytes,
      proxySocketPath: spec.proxySocketPath,
      fds: { seccomp: FD.seccomp, info: FD.info },
      command: [host.perlPath, `${SANDBOX_PATHS.supervisor}/supervisor.pl`, JSON.stringify(config)],
    });
    // Without a pids controller, RLIMIT_NPROC of the sandbox's own uid is the fork-bomb guard
    // (only with a uid of its own: a shared uid counts the server's processes too).
    const argv = host.root && !host.cgroups?.controllers.includes('pids') && host.prlimit ? [host.prlimit, `--nproc=${limits.pids}`, '--', host.bwrap, ...args] : [host.bwrap, ...args];
    (extraFd(child, FD.seccomp) as Writable).end(seccompProgram());
    (extraFd(child, FD.start) as Writable).end(argv.map((arg) => `${arg}\0`).join(''));
    const info = await readAll(extraFd(child, FD.info) as Readable);
    init = Number(/"child-pid"\s*:\s*(\d+)/.exec(info)?.[1]);
    if (!init) throw new SandboxError('unavailable', `bubblewrap did not start: ${client.stderrTail || info}`);
    const timer = setTimeout(() => client.fail(`the sandbox did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    try {
      await client.ready;
      if (cgroup) await settleGroup(cgroup, init);
    } finally {
      clearTimeout(timer);
    }
  } catch (err) {
    await stop();
    throw err instanceof SandboxError ? err : new SandboxError('unavailable', `sandbox ${record.id} did not start: ${(err as Error).message}`, true);
  }
  return { client, stop, ...(quiesce ? { quiesce } : {}) };
}

/**
 * Waits until `pid` has exited, SIGKILLing it meanwhile. It counts as gone once it is a zombie or
 * no longer runs as `uid` (its pid was reused: never signal a stranger).
 */
async function waitGone(pid: number, uid: number): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'latin1');
    } catch {
      return;
    }
    if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) !== uid || /^State:\s+Z/m.test(status)) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Thaws a frozen group, retrying a few times; a group that will not thaw is stopped rather than
 * left frozen (a frozen sandbox would hang every later call).
 */
async function thawOrStop(cgroup: SandboxCgroup, stop: () => void, warn: (message: string) => void): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await cgroup.thaw!();
      return;
    } catch (err) {
      warn(`thaw failed (${(err as Error).message})`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  warn('could not be thawed: stopping it');
  stop();
}

/**
 * Checks that every process of the sandbox is in its group: they are born there (the starter
 * joined before it became bwrap), so this only moves one that is not (and fails when it cannot).
 */
async function settleGroup(cgroup: SandboxCgroup, init: number): Promise<void> {
  const all = () => [init, ...descendantsOf(init)];
  for (const pid of all()) if (!cgroup.contains(pid)) await cgroup.add(pid);
  const outside = all().filter((pid) => !cgroup.contains(pid));
  if (outside.length > 0) throw new SandboxError('unavailable', `sandbox processes ${outside.join(', ')} could not join their cgroup`);
}

/** A piped descriptor beyond stdio (node types only the first five). */
function extraFd(child: { stdio: unknown }, fd: number): Readable | Writable {
  return (child.stdio as (Readable | Writable)[])[fd]!;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  await Promise.race([once(stream, 'end'), once(stream, 'close')]);
  return Buffer.concat(chunks).toString('utf8');
}

