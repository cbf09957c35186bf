/**
 * The host's view of a sandbox's processes, from /proc.
 *
 * Without a cgroup, the sandbox's own host uid is what identifies its processes: every process
 * running as that uid belongs to it (uids are never shared between sandboxes). Killing bwrap
 * brings the whole pid namespace down, but asynchronously; `sweepUid` makes `stop` wait for it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Live (non-zombie) host pids whose real uid is `uid`. */
function pidsOfUid(uid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'latin1');
      if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) === uid && !/^State:\s+Z/m.test(status)) out.push(Number(name));
    } catch {
      // Exited while we looked.
    }
  }
  return out;
}

/**
 * SIGKILLs every process of `uid` until none is left.
 * @throws Error if some survive `timeoutMs`
 */
export async function sweepUid(uid: number, timeoutMs = 5000): Promise<void> {
  if (uid === 0) throw new Error('refusing to sweep the processes of root');
  const deadline = Date.now() + timeoutMs;
  for (let pids = pidsOfUid(uid); pids.length > 0; pids = pidsOfUid(uid)) {
    if (Date.now() > deadline) throw new Error(`processes of uid ${uid} survive: ${pids.join(', ')}`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await sleep(5);
  }
}

/** The parent pid of `pid`, or undefined when it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Numeric entries of /proc: every live pid (and zombies). */
function allPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const first = name.charCodeAt(0);
    if (first >= 48 && first <= 57) out.push(Number(name));
  }
  return out;
}

/**
 * Whether pids may have wrapped around since `pid` was made: the last pid handed out is below
 * it. Then descendants can have lower pids than their ancestor.
 */
function mayWrap(pid: number): boolean {
  try {
    return Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'latin1')) < pid;
  } catch {
    return true;
  }
}

/**
 * The processes that may descend from `pid`: pids grow, so only the higher ones (a few reads
 * instead of the whole table, which costs milliseconds on a busy host), unless pids may have
 * wrapped around since `pid` was made.
 */
function candidatesAfter(pid: number): number[] {
  const pids = allPids();
  return mayWrap(pid) ? pids.filter((p) => p !== pid) : pids.filter((p) => p > pid);
}

/** The children of `pid`. */
export function childrenOf(pid: number): number[] {
  return candidatesAfter(pid).filter((p) => parentOf(p) === pid);
}

/** Every descendant of `pid`, from one look at the process table. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const candidate of candidatesAfter(pid)) {
    const parent = parentOf(candidate);
    if (parent === undefined) continue;
    const siblings = children.get(parent);
    if (siblings) siblings.push(candidate);
    else children.set(parent, [candidate]);
  }
  const out: number[] = [];
  for (let frontier = children.get(pid) ?? []; frontier.length > 0; ) {
    out.push(...frontier);
    frontier = frontier.flatMap((p) => children.get(p) ?? []);
  }
  return out;
}
