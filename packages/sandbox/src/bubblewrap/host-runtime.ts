/**
 * What the bubblewrap provider prepares on the host once, at start-up: the base system entries to
 * show, the host's `node` where it lives outside them, and a runtime directory with the
 * supervisor's files and the sandbox's synthesized /etc files.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SUPERVISOR_SOURCE_DIR } from '../supervisor-client.js';
import type { SystemEntry } from './bwrap-args.js';
import { SANDBOX_PATHS, SANDBOX_USER } from './bwrap-args.js';

const SYSTEM_PATHS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** The base system as this host lays it out (merged /usr or not). */
export function systemEntries(): SystemEntry[] {
  const out: SystemEntry[] = [];
  for (const path of SYSTEM_PATHS) {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) out.push({ path, kind: 'symlink', target: readlinkSync(path) });
    else if (st.isDirectory()) out.push({ path, kind: 'dir' });
  }
  return out;
}

/** Whether `path` is already visible through the base system entries. */
function underSystem(path: string): boolean {
  return SYSTEM_PATHS.some((root) => path === root || path.startsWith(`${root}/`));
}

/**
 * Host files to bind so `nodePath` runs inside (agents may use node): nothing when it lives under
 * /usr (the usual package install); otherwise the binary and any shared library `ldd` finds
 * outside /usr and /lib.
 */
export function nodeBinds(nodePath: string): string[] {
  const binary = realpathSync(nodePath);
  if (underSystem(binary)) return [];
  const out = [binary];
  const ldd = spawnSync('ldd', [binary], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  for (const match of (ldd.stdout ?? '').matchAll(/=>\s+(\/\S+)/g)) {
    const lib = realpathSync(match[1]!);
    if (!underSystem(lib) && !out.includes(lib)) out.push(lib);
  }
  return out;
}

/**
 * Checks that a sandbox uid can reach `path`: every ancestor traversable by others and the file
 * readable (and, with `executable`, executable) by others: bwrap binds it as that uid.
 * @returns a description of the first obstacle, or undefined
 */
export function unreachableByOthers(path: string, executable: boolean): string | undefined {
  const st = lstatSync(realpathSync(path));
  const needed = executable ? 0o005 : 0o004;
  if ((st.mode & needed) !== needed) return `${path} is not ${executable ? 'readable and executable' : 'readable'} by others`;
  for (let dir = dirname(realpathSync(path)); ; dir = dirname(dir)) {
    if ((lstatSync(dir).mode & 0o001) === 0) return `${dir} is not traversable by others`;
    if (dir === dirname(dir)) return undefined;
  }
}

/** Directories (inside `root/runtime`) the sandbox's command line refers to. */
export interface HostRuntime {
  /** The supervisor's files, bound read-only into every sandbox. */
  supervisorDir: string;
  /** The sandbox's /etc: synthesized and copied files, and mount points for `etcBinds`. */
  etcDir: string;
  /** Host /etc entries bound (read-only) over their mount points in `etcDir`. */
  etcBinds: string[];
}

/** Host /etc entries the sandbox sees live, bound over placeholders (kept up to date by the host). */
const ETC_BOUND = ['ssl', 'pki', 'crypto-policies', 'alternatives', 'ld.so.cache'];
/** Small host /etc files copied (or, when symlinks, recreated) into the sandbox's /etc. */
const ETC_COPIED = ['services', 'protocols', 'mime.types', 'localtime', 'os-release', 'debian_version', 'timezone'];

/**
 * Installs `build` (which fills a directory) under `<runtime>/<prefix>-<digest>` once: the
 * digest of the content names it, so a running sandbox's view never changes under it and two
 * processes installing the same content agree.
 */
function installVersioned(runtime: string, prefix: string, digest: string, build: (dir: string) => void): string {
  const dir = join(runtime, `${prefix}-${digest.slice(0, 16)}`);
  if (existsSync(dir)) return dir;
  const temporary = `${dir}.new-${process.pid}`;
  rmSync(temporary, { recursive: true, force: true });
  mkdirSync(temporary, { mode: 0o755 });
  build(temporary);
  chmodSync(temporary, 0o755);
  try {
    renameSync(temporary, dir);
  } catch {
    // Another process installed the same content first.
    rmSync(temporary, { recursive: true, force: true });
  }
  return dir;
}

/** Writes the sandbox's /etc into `dir`; returns the host entries to bind into it. */
function etcContent(): { files: Map<string, { text?: string; link?: string }>; binds: string[]; mountPoints: Map<string, 'dir' | 'file'> } {
  const { uid, gid, name, hostname } = SANDBOX_USER;
  const files = new Map<string, { text?: string; link?: string }>([
    ['passwd', { text: `root:x:0:0:root:/root:/usr/sbin/nologin\n${name}:x:${uid}:${gid}:${name}:${SANDBOX_PATHS.home}:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n` }],
    ['group', { text: `root:x:0:\n${name}:x:${gid}:\nnogroup:x:65534:\n` }],
    ['hosts', { text: `127.0.0.1\tlocalhost ${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n` }],
    ['hostname', { text: `${hostname}\n` }],
    // Only the files database: the host's NSS plugins (systemd, mdns) have nothing to talk to here.
    ['nsswitch.conf', { text: 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n' }],
  ]);
  for (const entry of ETC_COPIED) {
    const path = `/etc/${entry}`;
    try {
      const st = lstatSync(path);
      if (st.isSymbolicLink()) files.set(entry, { link: readlinkSync(path) });
      else if (st.isFile()) files.set(entry, { text: readFileSync(path, 'utf8') });
    } catch {
      // Not on this host.
    }
  }
  const binds: string[] = [];
  const mountPoints = new Map<string, 'dir' | 'file'>();
  for (const entry of ETC_BOUND) {
    try {
      const st = statSync(`/etc/${entry}`);
      mountPoints.set(entry, st.isDirectory() ? 'dir' : 'file');
      binds.push(`/etc/${entry}`);
    } catch {
      // Not on this host.
    }
  }
  return { files, binds, mountPoints };
}

/**
 * Copies the supervisor into `<root>/runtime/supervisor-<digest>` (root-owned, world-readable, so
 * it works wherever this package is installed and cannot change under a running sandbox) and
 * builds the sandbox's /etc in `<root>/runtime/etc-<digest>`.
 */
export function prepareHostRuntime(root: string): HostRuntime {
  const runtime = join(root, 'runtime');
  mkdirSync(runtime, { recursive: true });
  chmodSync(runtime, 0o755);

  const sources = readdirSync(SUPERVISOR_SOURCE_DIR).filter((name) => name.endsWith('.pl')).sort();
  const supervisorDigest = createHash('sha256');
  for (const name of sources) supervisorDigest.update(name).update('\0').update(readFileSync(join(SUPERVISOR_SOURCE_DIR, name)));
  const supervisorDir = installVersioned(runtime, 'supervisor', supervisorDigest.digest('hex'), (dir) => {
    for (const name of sources) {
      copyFileSync(join(SUPERVISOR_SOURCE_DIR, name), join(dir, name));
      chmodSync(join(dir, name), 0o644);
    }
  });

  const etc = etcContent();
  const etcDigest = createHash('sha256').update(JSON.stringify([[...etc.files], [...etc.mountPoints]]));
  const etcDir = installVersioned(runtime, 'etc', etcDigest.digest('hex'), (dir) => {
    for (const [name, content] of etc.files) {
      if (content.link !== undefined) symlinkSync(content.link, join(dir, name));
      else writeFileSync(join(dir, name), content.text ?? '', { mode: 0o644 });
    }
    // bwrap cannot create mount points inside a read-only bind: they must exist already.
    for (const [name, kind] of etc.mountPoints) {
      if (kind === 'dir') mkdirSync(join(dir, name), { mode: 0o755 });
      else writeFileSync(join(dir, name), '', { mode: 0o644 });
    }
  });
  return { supervisorDir, etcDir, etcBinds: etc.binds };
}
