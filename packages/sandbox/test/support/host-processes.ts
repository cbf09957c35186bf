import { readdirSync, readFileSync } from 'node:fs';

/** Host pids whose real uid is `uid` (read from /proc, as the host sees them). */
export function hostPidsOfUid(uid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const real = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      const state = /^State:\s+(\S)/m.exec(status)?.[1];
      if (Number(real) === uid && state !== 'Z') out.push(Number(name));
    } catch {
      // Exited while we looked.
    }
  }
  return out;
}

/** Reads a /proc file of a host pid, or undefined when the process is gone. */
export function procFile(pid: number, name: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The cgroup directory of `pid` for `controller` (v1: that controller's hierarchy; v2: the
 * unified one), as the host sees it.
 */
export function cgroupDirOf(pid: number, controller: string): string | undefined {
  const lines = (procFile(pid, 'cgroup') ?? '').split('\n');
  const v1 = lines.find((line) => line.split(':')[1]?.split(',').includes(controller));
  if (v1) return `/sys/fs/cgroup/${controller}${v1.split(':')[2]}`;
  const v2 = lines.find((line) => line.startsWith('0::'));
  return v2 ? `/sys/fs/cgroup${v2.slice(3)}` : undefined;
}
