'use strict';
// Finding and killing the processes a command left behind, from /proc.
//
// Killing a child's pid is not enough: a timed-out `npm test` has grandchildren, a fork bomb has
// thousands, and `setsid` lets a process leave its parent's group. We read every process's
// parent, process group and session from /proc and kill whole process groups with one signal:
// the kernel makes a group kill atomic with respect to fork, so a forking group cannot outrun it.

const { readdirSync, readFileSync } = require('node:fs');

/**
 * @typedef {{ pid: number, ppid: number, pgid: number, sid: number, state: string }} ProcInfo
 */

/**
 * Every live (non-zombie) process visible in /proc. Processes that exit while we read are
 * skipped.
 * @returns {ProcInfo[]}
 */
function listProcesses() {
  /** @type {ProcInfo[]} */
  const out = [];
  for (const name of readdirSync('/proc')) {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue;
    }
    // The command name may contain spaces and ')': the fields we want follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0] ?? '';
    if (state === 'Z' || state === 'X') continue;
    out.push({ pid: Number(name), ppid: Number(fields[1]), pgid: Number(fields[2]), sid: Number(fields[3]), state });
  }
  return out;
}

/** @param {number} pid @param {number} signal */
function signal(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone, or not ours: nothing to do.
  }
}

/**
 * Repeatedly SIGKILLs what `select` picks from the process table until it picks nothing (or a
 * round limit is hit: the caller has a harder fallback). Groups are killed with one signal when
 * the group's leader itself is picked or the whole group is; single processes otherwise.
 *
 * @param {(procs: ProcInfo[]) => { groups: number[], pids: number[] }} select
 * @param {number} [rounds]
 * @returns {number} how many processes were signalled in total
 */
function killUntilGone(select, rounds = 50) {
  let signalled = 0;
  for (let round = 0; round < rounds; round++) {
    const procs = listProcesses();
    // Never hit ourselves or pid 1 (bubblewrap's init inside the sandbox, the host's init
    // outside), nor a whole group either of them belongs to.
    const safe = new Set([process.pid, 1]);
    const safeGroups = new Set(procs.filter((p) => safe.has(p.pid)).map((p) => p.pgid));
    const picked = select(procs);
    const groups = picked.groups.filter((g) => g > 1 && !safeGroups.has(g));
    const pids = picked.pids.filter((p) => p > 1 && !safe.has(p));
    if (groups.length === 0 && pids.length === 0) break;
    for (const pgid of groups) signal(-pgid, 'SIGKILL');
    for (const pid of pids) signal(pid, 'SIGKILL');
    signalled += groups.length + pids.length;
  }
  return signalled;
}

/**
 * The pids descending from `root` (not including it), following parent links.
 * @param {ProcInfo[]} procs
 * @param {number} root
 */
function descendantsOf(procs, root) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const p of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const out = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length > 0) {
    const pid = /** @type {number} */ (stack.pop());
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * Kills everything in session `sid` (a process spawned with `detached: true` leads its own
 * session, and everything it starts stays in it unless it calls setsid), plus the descendants of
 * `sid` that did call setsid but are still attached by parent link.
 * @param {number} sid
 */
function killSession(sid) {
  return killUntilGone((procs) => {
    const pids = new Set(descendantsOf(procs, sid));
    /** @type {Set<number>} */
    const groups = new Set();
    for (const p of procs) {
      if (p.sid === sid || pids.has(p.pid)) groups.add(p.pgid);
    }
    for (const p of procs) if (groups.has(p.pgid)) pids.delete(p.pid);
    if (procs.some((p) => p.pid === sid)) pids.add(sid);
    return { groups: [...groups], pids: [...pids] };
  });
}

module.exports = { listProcesses, killUntilGone, descendantsOf, killSession };
