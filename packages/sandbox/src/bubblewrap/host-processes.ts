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

/**
 * The children of `pid`. Pids grow, so children of a recent process are looked for among the
 * higher pids first (a few reads instead of the whole table); after a wrap-around, all of them.
 */
export function childrenOf(pid: number): number[] {
  const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  const newer = pids.filter((p) => p > pid && parentOf(p) === pid);
  if (newer.length > 0) return newer;
  return pids.filter((p) => p < pid && parentOf(p) === pid);
}

/** Every descendant of `pid`. */
export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  for (let frontier = childrenOf(pid); frontier.length > 0; ) {
    out.push(...frontier);
    frontier = frontier.flatMap(childrenOf);
  }
  return out;
}
