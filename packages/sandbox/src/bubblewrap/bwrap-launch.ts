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
import { SupervisorClient } from '../supervisor-client.js';
import type { WorkspaceRecord, WorkspaceStore } from '../workspace/workspace-store.js';
import { bwrapArgs, SANDBOX_PATHS, type SystemEntry } from './bwrap-args.js';
import type { CgroupDriver, SandboxCgroup } from './cgroups.js';
import type { HostRuntime } from './host-runtime.js';
import { childrenOf, descendantsOf, sweepUid } from './host-processes.js';
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
const FD = { seccomp: 3, info: 4, block: 5 } as const;

/**
 * Starts the sandbox of `record` and resolves once its supervisor serves requests (and, with a
 * cgroup, every one of its processes is inside it).
 * @throws SandboxError `unavailable` (retryable) when it does not start
 */
export async function launchSandbox(host: BubblewrapHost, record: WorkspaceRecord, spec: SandboxSpec, env: Record<string, string>): Promise<LaunchedSupervisor> {
  let mount = await host.store.mount(record.id);
  if (spec.uploadsDir) mount = { ...mount, uploads: spec.uploadsDir };
  const limits = { ...host.limits, ...spec.limits };
  let cgroup: SandboxCgroup | undefined;
  try {
    cgroup = host.cgroups?.create(`${record.id}-${randomBytes(4).toString('hex')}`, limits);
  } catch (err) {
    host.logger?.warn(`sandbox ${record.id}: no cgroup (${(err as Error).message}); limits not applied`);
  }
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
    ...(spec.proxySocketPath ? { proxy: { socketPath: SANDBOX_PATHS.proxySocket, host: '127.0.0.1', port: 3128 } } : {}),
  };
  const args = bwrapArgs({
    system: host.system,
    extraReadOnly: host.extraReadOnly,
    etcDir: host.runtime.etcDir,
    etcBinds: host.runtime.etcBinds,
    supervisorDir: host.runtime.supervisorDir,
    mount,
    env,
    tmpBytes: limits.tmpBytes,
    proxySocketPath: spec.proxySocketPath,
    fds: cgroup ? FD : { seccomp: FD.seccomp },
    command: [host.perlPath, `${SANDBOX_PATHS.supervisor}/supervisor.pl`, JSON.stringify(config)],
  });
  // Without a pids controller, RLIMIT_NPROC of the sandbox's own uid is the fork-bomb guard
  // (only with a uid of its own: a shared uid counts the server's processes too).
  const argv = host.root && !host.cgroups?.controllers.includes('pids') && host.prlimit ? [host.prlimit, `--nproc=${limits.pids}`, '--', host.bwrap, ...args] : [host.bwrap, ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    uid: record.uid,
    gid: record.gid,
    env: {},
    stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
  });
  const client = new SupervisorClient(child as never);
  /** The sandbox's pid 1, as the host numbers it (known once bwrap reports it). */
  let init = 0;
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
    await host.store.unmount(record.id);
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
    (extraFd(child, FD.seccomp) as Writable).end(seccompProgram());
    let joined: Promise<void> | undefined;
    if (cgroup) {
      // bwrap reports the sandbox's pid 1 and waits on the block fd before starting the
      // supervisor. Moving a process into a v1 group costs a millisecond or more per
      // controller, so it happens while perl boots rather than before: the supervisor joins
      // the group as soon as it exists, and no request is sent until every process of the
      // sandbox is inside (see settleGroup). bwrap's own processes stay outside: they run
      // nothing of the sandbox's.
      const info = await readAll(extraFd(child, FD.info) as Readable);
      init = Number(/"child-pid"\s*:\s*(\d+)/.exec(info)?.[1]);
      if (!init) throw new SandboxError('unavailable', `bubblewrap did not start: ${client.stderrTail || info}`);
      (extraFd(child, FD.block) as Writable).end('x');
      joined = joinGroup(cgroup, init);
      joined.catch(() => {});
    }
    const timer = setTimeout(() => client.fail(`the sandbox did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    try {
      await client.ready;
      if (cgroup) {
        await joined;
        await settleGroup(cgroup, init);
      }
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

/** Moves the supervisor (the child of the sandbox's pid 1) into the group as soon as it exists. */
async function joinGroup(cgroup: SandboxCgroup, init: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const children = childrenOf(init);
    if (children.length > 0) {
      await Promise.all(children.map((pid) => cgroup.add(pid)));
      return;
    }
    if (Date.now() > deadline) throw new SandboxError('unavailable', 'the sandbox\'s supervisor did not appear');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * Once the supervisor has joined (and said it is ready), moves whatever was forked before it
 * joined: anything forked later inherits the group from it, so from then on every process of
 * the sandbox is in the group, and so are all its future children.
 */
async function settleGroup(cgroup: SandboxCgroup, init: number): Promise<void> {
  for (const pid of descendantsOf(init)) if (!cgroup.contains(pid)) await cgroup.add(pid);
  const outside = descendantsOf(init).filter((pid) => !cgroup.contains(pid));
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

