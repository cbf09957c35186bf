/**
 * Control groups for sandboxes: memory, pids and CPU limits, and a kill that nothing escapes.
 *
 * Both hierarchies are handled: cgroup v1 (one mount per controller; also the "hybrid" layout
 * where v2 is mounted but holds no useful controller) and the unified v2 hierarchy. Groups live
 * under one parent (`/longhand` by default) at the top of each hierarchy, next to, never inside,
 * whatever group the server itself runs in.
 *
 * A sandbox is killed by freezing its group, SIGKILLing every pid in it, and thawing: a single
 * pass of kills can lose to a fork bomb, a frozen group cannot fork.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

/** Limits a group enforces. */
export interface CgroupLimits {
  /** Memory of the group, swap included where accounted. */
  memoryBytes?: number;
  /** Tasks (processes and threads) of the group. */
  pids?: number;
  /** CPU bandwidth, in cores. */
  cpus?: number;
}

/** One sandbox's group (a directory per v1 controller, one directory on v2). */
export interface SandboxCgroup {
  /** Moves a process into the group; its future children stay in it. */
  add(pid: number): Promise<void>;
  /** Whether `pid` is in the group (in every controller, on v1). */
  contains(pid: number): boolean;
  /** Kills every process in the group and waits until it is empty. */
  killAll(): Promise<void>;
  /** Removes the (empty) group. */
  remove(): Promise<void>;
  /**
   * Stops every process of the group, including any it is forking right now, and resolves once
   * the kernel reports the whole group frozen. Absent when the hierarchy has no freezer.
   * @throws Error when the group does not freeze in time (it is thawed again before the throw)
   */
  freeze?(): Promise<void>;
  /** Lets the group's processes run again (idempotent). */
  thaw?(): Promise<void>;
}

/** The cgroup facilities of this host, as far as sandboxes can use them. */
export interface CgroupDriver {
  readonly version: 1 | 2;
  /** Usable controllers among memory, pids, cpu and freezer. */
  readonly controllers: readonly string[];
  /** Creates a group named `name` under the parent with the given limits. */
  create(name: string, limits: CgroupLimits): SandboxCgroup;
  /**
   * Removes groups left empty under the parent by a host process that died before it could
   * (a group is filled within seconds of its creation: only those older than `minAgeMs` go).
   */
  removeStale(minAgeMs: number): void;
}

const WANTED = ['memory', 'pids', 'cpu', 'freezer'] as const;
const CPU_PERIOD_US = 100_000;
/** A group still not frozen after this long (a task stuck in the kernel) is thawed and reported. */
const FREEZE_TIMEOUT_MS = 5000;

/**
 * Asks the kernel to freeze, then polls until `frozen()` says so; on timeout thaws and throws, so
 * a failed freeze never leaves a sandbox stopped.
 */
async function freezeUntil(request: () => void, frozen: () => boolean, thaw: () => void): Promise<void> {
  request();
  const deadline = Date.now() + FREEZE_TIMEOUT_MS;
  // Idle processes freeze within microseconds: the first looks come after a turn of the event
  // loop, not a timer (at least a millisecond), then back off.
  for (let look = 0; !frozen(); look++) {
    if (Date.now() > deadline) {
      thaw();
      throw new Error(`the sandbox's processes did not freeze within ${FREEZE_TIMEOUT_MS} ms`);
    }
    if (look < 20) await nextTurn();
    else await sleep(Math.min(look - 19, 5));
  }
}

interface Mount {
  point: string;
  type: string;
  options: string[];
}

function cgroupMounts(): Mount[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const [type = '', , superOptions = ''] = after.split(' ');
    if (type !== 'cgroup' && type !== 'cgroup2') continue;
    out.push({ point: before.split(' ')[4] ?? '', type, options: superOptions.split(',') });
  }
  return out;
}

function write(path: string, value: string | number): void {
  writeFileSync(path, String(value));
}

/** The `/proc/<pid>/cgroup` lines as [controllers, path] pairs. */
function groupsOf(pid: number): [string[], string][] {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [, controllers = '', path = ''] = line.split(':');
        return [controllers.split(','), path];
      });
  } catch {
    return [];
  }
}

function pidsIn(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

async function waitEmpty(dirs: string[], timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (dirs.some((dir) => pidsIn(dir).length > 0)) {
    if (Date.now() > deadline) throw new Error(`processes survive in ${dirs.join(', ')}`);
    killPids(dirs.flatMap(pidsIn));
    await sleep(2);
  }
}

async function removeDirs(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (let attempt = 0; ; attempt++) {
      try {
        rmdirSync(dir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        // A killed process may take a moment to leave the group.
        if (code !== 'EBUSY' || attempt > 200) throw err;
        await sleep(5);
      }
    }
  }
}

/** Removes the empty, old enough subgroups of each of `parents` (a busy group refuses rmdir). */
function removeStaleIn(parents: string[], minAgeMs: number): void {
  for (const parent of parents) {
    let names: string[] = [];
    try {
      names = readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = join(parent, name);
      try {
        if (Date.now() - statSync(dir).mtimeMs < minAgeMs || pidsIn(dir).length > 0) continue;
        rmdirSync(dir);
      } catch {
        // In use, or gone: either way not ours to worry about.
      }
    }
  }
}

/** cgroup v1: a directory per controller mount. */
class V1Driver implements CgroupDriver {
  readonly version = 1 as const;
  readonly controllers: readonly string[];

  constructor(
    private readonly mounts: ReadonlyMap<string, string>,
    private readonly parent: string,
  ) {
    this.controllers = [...mounts.keys()];
  }

  removeStale(minAgeMs: number): void {
    removeStaleIn([...new Set(this.mounts.values())].map((point) => join(point, this.parent)), minAgeMs);
  }

  create(name: string, limits: CgroupLimits): SandboxCgroup {
    const dirs = new Map<string, string>();
    for (const [controller, point] of this.mounts) {
      const dir = join(point, this.parent, name);
      mkdirSync(dir, { recursive: true });
      dirs.set(controller, dir);
    }
    const memory = dirs.get('memory');
    if (memory && limits.memoryBytes) {
      write(join(memory, 'memory.limit_in_bytes'), limits.memoryBytes);
      // With swap accounting, the same figure for memory+swap means no swapping past the limit.
      if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) write(join(memory, 'memory.memsw.limit_in_bytes'), limits.memoryBytes);
    }
    const pids = dirs.get('pids');
    if (pids && limits.pids) write(join(pids, 'pids.max'), limits.pids);
    const cpu = dirs.get('cpu');
    if (cpu && limits.cpus) {
      write(join(cpu, 'cpu.cfs_period_us'), CPU_PERIOD_US);
      write(join(cpu, 'cpu.cfs_quota_us'), Math.max(1000, Math.round(limits.cpus * CPU_PERIOD_US)));
    }
    const all = [...new Set(dirs.values())];
    const freezer = dirs.get('freezer');
    const path = join(this.parent, name);
    return {
      // Each move into a v1 group takes a global lock and an RCU grace period (about a
      // millisecond): asynchronous, so the host's event loop does not wait on them.
      add: async (pid) => {
        await Promise.all(all.map((dir) => writeFile(join(dir, 'cgroup.procs'), String(pid))));
      },
      contains: (pid) => {
        const groups = groupsOf(pid);
        return [...dirs.keys()].every((controller) => groups.some(([list, p]) => list.includes(controller) && p === path));
      },
      killAll: async () => {
        if (freezer) {
          write(join(freezer, 'freezer.state'), 'FROZEN');
          const deadline = Date.now() + 1000;
          while (readFileSync(join(freezer, 'freezer.state'), 'utf8').trim() !== 'FROZEN' && Date.now() < deadline) await sleep(1);
          killPids(pidsIn(freezer));
          write(join(freezer, 'freezer.state'), 'THAWED');
        }
        await waitEmpty(all);
      },
      remove: () => removeDirs(all),
      ...(freezer
        ? {
            // FREEZING becomes FROZEN only once every task, children forked meanwhile included,
            // has stopped: the kernel puts new children of a freezing group straight into it.
            freeze: () =>
              freezeUntil(
                () => write(join(freezer, 'freezer.state'), 'FROZEN'),
                () => readFileSync(join(freezer, 'freezer.state'), 'utf8').trim() === 'FROZEN',
                () => write(join(freezer, 'freezer.state'), 'THAWED'),
              ),
            thaw: async () => write(join(freezer, 'freezer.state'), 'THAWED'),
          }
        : {}),
    };
  }
}

/** cgroup v2: one directory, controllers enabled in the parent's subtree. */
class V2Driver implements CgroupDriver {
  readonly version = 2 as const;

  constructor(
    private readonly mount: string,
    private readonly base: string,
    readonly controllers: readonly string[],
  ) {}

  removeStale(minAgeMs: number): void {
    removeStaleIn([this.base], minAgeMs);
  }

  create(name: string, limits: CgroupLimits): SandboxCgroup {
    const dir = join(this.base, name);
    mkdirSync(dir, { recursive: true });
    if (limits.memoryBytes && this.controllers.includes('memory')) {
      write(join(dir, 'memory.max'), limits.memoryBytes);
      if (existsSync(join(dir, 'memory.swap.max'))) write(join(dir, 'memory.swap.max'), 0);
    }
    if (limits.pids && this.controllers.includes('pids')) write(join(dir, 'pids.max'), limits.pids);
    if (limits.cpus && this.controllers.includes('cpu')) {
      write(join(dir, 'cpu.max'), `${Math.max(1000, Math.round(limits.cpus * CPU_PERIOD_US))} ${CPU_PERIOD_US}`);
    }
    const path = dir.slice(this.mount.length) || '/';
    return {
      add: (pid) => writeFile(join(dir, 'cgroup.procs'), String(pid)),
      contains: (pid) => groupsOf(pid).some(([list, p]) => list.length === 1 && list[0] === '' && p === path),
      killAll: async () => {
        if (existsSync(join(dir, 'cgroup.kill'))) {
          write(join(dir, 'cgroup.kill'), 1);
        } else {
          write(join(dir, 'cgroup.freeze'), 1);
          killPids(pidsIn(dir));
          write(join(dir, 'cgroup.freeze'), 0);
        }
        await waitEmpty([dir]);
      },
      remove: () => removeDirs([dir]),
      // `cgroup.events` says `frozen 1` only once every task of the group (and of groups below it)
      // has stopped, forks in flight included.
      freeze: () =>
        freezeUntil(
          () => write(join(dir, 'cgroup.freeze'), 1),
          () => /^frozen 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8')),
          () => write(join(dir, 'cgroup.freeze'), 0),
        ),
      thaw: async () => write(join(dir, 'cgroup.freeze'), 0),
    };
  }
}

/**
 * Which hierarchy sandboxes would use and its controllers, read from the mount table only (no
 * side effects: for the start-up report).
 */
export function describeCgroups(): { version: 1 | 2; controllers: string[] } | undefined {
  const mounts = cgroupMounts();
  const v1 = WANTED.filter((c) => mounts.some((m) => m.type === 'cgroup' && m.options.includes(c)));
  if (v1.includes('memory') || v1.includes('pids')) return { version: 1, controllers: v1 };
  const unified = mounts.find((m) => m.type === 'cgroup2');
  if (!unified) return undefined;
  let available: string[] = [];
  try {
    available = readFileSync(join(unified.point, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  } catch {
    return undefined;
  }
  const controllers = ['memory', 'pids', 'cpu'].filter((c) => available.includes(c));
  return controllers.length > 0 ? { version: 2, controllers: [...controllers, 'freezer'] } : undefined;
}

/**
 * Finds the usable cgroup hierarchy and prepares `parent` in it.
 * @param parent where sandbox groups go, relative to each hierarchy's root
 * @returns `undefined` when there is none this process may write (not root, not delegated)
 */
export function detectCgroups(parent = '/longhand'): CgroupDriver | undefined {
  const mounts = cgroupMounts();
  const v1 = new Map<string, string>();
  for (const mount of mounts) {
    if (mount.type !== 'cgroup') continue;
    for (const controller of WANTED) if (mount.options.includes(controller)) v1.set(controller, mount.point);
  }
  try {
    if (v1.has('memory') || v1.has('pids')) {
      for (const point of new Set(v1.values())) mkdirSync(join(point, parent), { recursive: true });
      return new V1Driver(v1, parent);
    }
    const unified = mounts.find((m) => m.type === 'cgroup2');
    if (!unified) return undefined;
    const available = readFileSync(join(unified.point, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
    const controllers = ['memory', 'pids', 'cpu'].filter((c) => available.includes(c));
    if (controllers.length === 0) return undefined;
    const base = join(unified.point, parent);
    mkdirSync(base, { recursive: true });
    // Sandbox groups are children of `base`, so `base` hands the controllers down (it holds no
    // processes itself, as v2 requires).
    write(join(base, 'cgroup.subtree_control'), controllers.map((c) => `+${c}`).join(' '));
    return new V2Driver(unified.point, base, [...controllers, 'freezer']);
  } catch {
    return undefined;
  }
}
