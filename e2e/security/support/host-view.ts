/**
 * What the host sees, read directly by the test process (root) from /proc and the file system:
 * how the attacks are judged from outside the sandbox, never by trusting its own report.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** One host process. */
export interface HostProcess {
  pid: number;
  ppid: number;
  /** Real uid. */
  uid: number;
  /** Effective uid. */
  euid: number;
  /** Its command line, arguments joined by spaces. */
  cmdline: string;
}

/** Every live (non-zombie) process of the host. */
export function hostProcesses(): HostProcess[] {
  const out: HostProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'latin1');
      if (/^State:\s+Z/m.test(status)) continue;
      const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').join(' ').trim();
      out.push({ pid: Number(name), ppid, uid: Number(uids?.[1]), euid: Number(uids?.[2]), cmdline });
    } catch {
      // It exited while we looked.
    }
  }
  return out;
}

/** The processes descending from `root` (not `root` itself). */
export function descendantsOf(root: number, table: readonly HostProcess[] = hostProcesses()): HostProcess[] {
  const children = new Map<number, HostProcess[]>();
  for (const process of table) children.set(process.ppid, [...(children.get(process.ppid) ?? []), process]);
  const out: HostProcess[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/**
 * What a running sandbox of host uid `uid` has bound where, read from its bwrap command line on the
 * host: sandbox path → host path (`--bind` and `--ro-bind`). Empty when it is not running.
 */
export function bindsOf(uid: number): Map<string, string> {
  const binds = new Map<string, string>();
  for (const process of hostProcesses()) {
    if (process.uid !== uid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${process.pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!argv[0]?.endsWith('bwrap')) continue;
    for (let i = 0; i < argv.length - 2; i++) {
      if (argv[i] === '--bind' || argv[i] === '--ro-bind') binds.set(argv[i + 2]!, argv[i + 1]!);
    }
  }
  return binds;
}

/**
 * A file's identity, owner, mode and content (a link's target; for a directory, no size: its
 * entries are not its content), to prove it did not change.
 */
export function fingerprint(path: string): string {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 'missing';
  }
  const identity = `${st.ino}:${st.uid}:${st.gid}:${st.mode.toString(8)}`;
  if (st.isSymbolicLink()) return `${identity}:link:${readlinkSync(path)}`;
  if (st.isFile()) return `${identity}:${st.size}:file:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
  return `${identity}:${st.isDirectory() ? 'directory' : 'other'}`;
}

/** Fingerprints of every entry below `dir` (itself included), by path; no link is followed. */
export function fingerprintTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (path: string): void => {
    out.set(path, fingerprint(path));
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return;
    }
    if (!st.isDirectory()) return;
    for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(dir);
  return out;
}

/** An entry of sandbox storage that could give a sandbox's files root's privileges. */
export interface DangerousEntry {
  path: string;
  uid: number;
  gid: number;
  mode: string;
  why: string;
}

/**
 * Walks `dir` without following links and lists what could run with root's privileges: a file
 * setuid root or setgid root, and a regular file owned by root that anyone may execute.
 */
export function rootPrivilegedEntries(dir: string): DangerousEntry[] {
  const out: DangerousEntry[] = [];
  const walk = (path: string): void => {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return;
    }
    const mode = st.mode & 0o7777;
    const entry = { path, uid: st.uid, gid: st.gid, mode: mode.toString(8) };
    if (st.isFile() && mode & 0o4000 && st.uid === 0) out.push({ ...entry, why: 'setuid root' });
    if (st.isFile() && mode & 0o2000 && st.gid === 0) out.push({ ...entry, why: 'setgid root' });
    if (st.isFile() && st.uid === 0 && mode & 0o111) out.push({ ...entry, why: 'executable owned by root' });
    if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(dir);
  return out;
}

/** Every entry below `dir` (itself included, links not followed) whose owner is not `uid`. */
export function entriesNotOwnedBy(dir: string, uid: number): string[] {
  const out: string[] = [];
  const walk = (path: string): void => {
    const st = lstatSync(path);
    if (st.uid !== uid || st.gid !== uid) out.push(`${path} (${st.uid}:${st.gid})`);
    if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(dir);
  return out;
}
