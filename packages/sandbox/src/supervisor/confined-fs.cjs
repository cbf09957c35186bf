'use strict';
// File operations confined to the sandbox's file roots.
//
// A path is resolved one component at a time with lstat, the way the kernel would, except that
// every step is checked: `..` is applied to the real directory reached so far (never lexically),
// a symlink's target is spliced into the remaining components, the walk refuses to visit any
// path that is neither inside a root nor an ancestor of one, and where a symlink's target ends
// the walk must be inside a root. So `/workspace/../etc/passwd`, a symlink to `/etc` or to `/`,
// and a symlink chain that leaves and comes back are all refused, before the outside is even
// looked at.
//
// Inside bubblewrap this is policy (the tools must not wander over the system files the shell can
// read anyway); in the unsandboxed provider it is the only confinement there is.

const { lstatSync, readlinkSync, realpathSync, mkdirSync, openSync, closeSync, constants } = require('node:fs');
const { open } = require('node:fs/promises');

const MAX_SYMLINK_HOPS = 40;
/** Marks, in the queue of components, where a symlink's target ends (NUL is never in a name). */
const LINK_END = '\0';

/** An error the host maps to a SandboxError code. */
class FsError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** @param {unknown} err @param {string} path */
function fromErrno(err, path) {
  const code = /** @type {{code?: string}} */ (err)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FsError('not_found', `${path}: no such file or directory`);
  if (code === 'EISDIR') return new FsError('is_directory', `${path} is a directory`);
  if (code === 'EROFS') return new FsError('read_only', `${path} is on a read-only file system`);
  if (code === 'ELOOP') return new FsError('io_error', `${path}: too many levels of symbolic links`);
  return new FsError('io_error', `${path}: ${/** @type {Error} */ (err)?.message ?? String(err)}`);
}

/**
 * @typedef {{ path: string, writable: boolean }} FileRoot
 */

class ConfinedFs {
  /**
   * @param {FileRoot[]} roots absolute, symlink-free directories
   * @param {string} workdir where relative paths start
   */
  constructor(roots, workdir) {
    this.roots = roots;
    this.workdir = workdir;
  }

  /** @param {string} p */
  rootOf(p) {
    return this.roots.find((r) => p === r.path || p.startsWith(`${r.path}/`));
  }

  /**
   * The root that holds the file an open descriptor really refers to. Checked after every open:
   * a directory swapped for a symlink between resolving a path and opening it is followed by the
   * kernel (O_NOFOLLOW guards only the last component), and this is where that is caught.
   * @param {number} fd
   */
  rootOfDescriptor(fd) {
    let real;
    try {
      real = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return undefined;
    }
    if (!this.realRoots) {
      this.realRoots = this.roots.map((r) => {
        try {
          return { ...r, path: realpathSync(r.path) };
        } catch {
          return r;
        }
      });
    }
    return this.realRoots.find((r) => real === r.path || real.startsWith(`${r.path}/`));
  }

  /** A path the walk may pass through: inside a root, or on the way down to one. @param {string} p */
  mayVisit(p) {
    if (this.rootOf(p)) return true;
    const prefix = p === '/' ? '/' : `${p}/`;
    return this.roots.some((r) => r.path.startsWith(prefix));
  }

  /**
   * Resolves `input` to a real absolute path inside the roots.
   * With `allowMissing`, a path whose tail does not exist yet resolves to the existing real
   * prefix plus the missing names (none of which is `..`), for creating it.
   * With `followLast: false`, a final symlink is not followed.
   * @param {string} input
   * @param {{ allowMissing?: boolean, followLast?: boolean }} [options]
   * @returns {{ path: string, missing: string[] }}
   */
  resolve(input, options = {}) {
    if (typeof input !== 'string' || input.length === 0 || input.includes('\0')) {
      throw new FsError('not_found', 'invalid path');
    }
    const absolute = input.startsWith('/') ? input : `${this.workdir}/${input}`;
    const queue = absolute.split('/').filter((c) => c !== '' && c !== '.');
    /** @type {string[]} */
    const current = [];
    let hops = 0;
    /** Whether real components (not just end-of-link marks) remain. */
    const more = () => queue.some((c) => c !== LINK_END);
    while (queue.length > 0) {
      const name = /** @type {string} */ (queue.shift());
      if (name === LINK_END) {
        // A symlink's target is fully walked: it must have landed inside a root.
        if (!this.rootOf(`/${current.join('/')}`)) throw new FsError('outside_workspace', `${input} leads outside the sandbox's file roots through a symlink`);
        continue;
      }
      if (name === '..') {
        current.pop();
        continue;
      }
      const candidate = `/${[...current, name].join('/')}`;
      if (!this.mayVisit(candidate)) throw new FsError('outside_workspace', `${input} is outside the sandbox's file roots`);
      let st;
      try {
        st = lstatSync(candidate);
      } catch (err) {
        const code = /** @type {{code?: string}} */ (err).code;
        if (code === 'ENOENT' && options.allowMissing && !queue.includes('..')) {
          const path = `/${current.join('/')}`;
          const missing = [name, ...queue.filter((c) => c !== LINK_END)];
          if (!this.rootOf(`${path}/${missing.join('/')}`.replace(/^\/\//, '/'))) {
            throw new FsError('outside_workspace', `${input} is outside the sandbox's file roots`);
          }
          return { path, missing };
        }
        throw fromErrno(err, input);
      }
      if (st.isSymbolicLink() && (more() || options.followLast !== false)) {
        if (++hops > MAX_SYMLINK_HOPS) throw new FsError('io_error', `${input}: too many levels of symbolic links`);
        const target = readlinkSync(candidate);
        if (target.startsWith('/')) current.length = 0;
        queue.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'), LINK_END);
        continue;
      }
      if (more() && !st.isDirectory() && !st.isSymbolicLink()) {
        throw new FsError('not_found', `${input}: not a directory`);
      }
      current.push(name);
    }
    const path = `/${current.join('/')}`;
    if (!this.rootOf(path)) throw new FsError('outside_workspace', `${input} is outside the sandbox's file roots`);
    return { path, missing: [] };
  }

  /**
   * Reads a regular file, refusing directories, special files and anything over `maxBytes`.
   * @param {string} input
   * @param {number} maxBytes
   * @returns {Promise<Buffer>}
   */
  async readFile(input, maxBytes) {
    const { path } = this.resolve(input);
    let handle;
    try {
      // O_NONBLOCK: opening a FIFO must not hang the supervisor; O_NOFOLLOW: the path was just
      // resolved, so a symlink here means someone swapped it in since.
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      throw fromErrno(err, input);
    }
    try {
      if (!this.rootOfDescriptor(handle.fd)) throw new FsError('outside_workspace', `${input} leads outside the sandbox's file roots`);
      const st = await handle.stat();
      if (st.isDirectory()) throw new FsError('is_directory', `${input} is a directory`);
      if (!st.isFile()) throw new FsError('io_error', `${input} is not a regular file`);
      if (st.size > maxBytes) throw new FsError('too_large', `${input} is ${st.size} bytes, more than the limit of ${maxBytes}`);
      // The file may grow while we read: read at most one byte past the limit to notice.
      const buffer = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(st.size, 0) + 65536));
      let length = 0;
      for (;;) {
        if (length === buffer.length) break;
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      if (length > maxBytes) throw new FsError('too_large', `${input} is larger than the limit of ${maxBytes} bytes`);
      return buffer.subarray(0, length);
    } catch (err) {
      throw err instanceof FsError ? err : fromErrno(err, input);
    } finally {
      await handle.close();
    }
  }

  /**
   * Writes a whole file, creating missing parent directories, inside a writable root.
   * @param {string} input
   * @param {Buffer} data
   */
  async writeFile(input, data) {
    const { path: base, missing } = this.resolve(input, { allowMissing: true });
    const target = missing.length === 0 ? base : `${base === '/' ? '' : base}/${missing.join('/')}`;
    if (!this.rootOf(target)?.writable) throw new FsError('read_only', `${input} is in a read-only location`);
    // Everything below happens relative to a directory descriptor that was checked, never by a
    // path that could have been changed since it was resolved.
    const split = target.lastIndexOf('/');
    const leaf = target.slice(split + 1);
    const toCreate = missing.length === 0 ? [] : missing.slice(0, -1);
    let dirFd = this.openCheckedDir(missing.length === 0 ? target.slice(0, split) || '/' : base, input);
    let fileFd;
    try {
      for (const name of toCreate) {
        try {
          mkdirSync(`/proc/self/fd/${dirFd}/${name}`);
        } catch (err) {
          if (/** @type {{code?: string}} */ (err).code !== 'EEXIST') throw fromErrno(err, input);
        }
        const next = this.openCheckedDir(`/proc/self/fd/${dirFd}/${name}`, input);
        closeSync(dirFd);
        dirFd = next;
      }
      try {
        // No O_TRUNC: nothing is changed before the file is proven to be inside a root.
        fileFd = openSync(`/proc/self/fd/${dirFd}/${leaf}`, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o666);
      } catch (err) {
        throw fromErrno(err, input);
      }
    } finally {
      closeSync(dirFd);
    }
    // Reopening through the descriptor's /proc link (a magic link, so no O_NOFOLLOW) gives an async
    // handle on exactly the file that was opened above.
    const handle = await open(`/proc/self/fd/${fileFd}`, constants.O_WRONLY | constants.O_NONBLOCK).catch((err) => {
      closeSync(fileFd);
      throw fromErrno(err, input);
    });
    closeSync(fileFd);
    try {
      if (!this.rootOfDescriptor(handle.fd)?.writable) throw new FsError('outside_workspace', `${input} leads outside the sandbox's writable roots`);
      const st = await handle.stat();
      if (!st.isFile()) throw new FsError('io_error', `${input} is not a regular file`);
      await handle.truncate(0);
      await handle.writeFile(data);
    } catch (err) {
      throw err instanceof FsError ? err : fromErrno(err, input);
    } finally {
      await handle.close();
    }
  }

  /**
   * Opens a directory without following a final symlink and checks it is inside a root.
   * @param {string} path
   * @param {string} input
   * @returns {number}
   */
  openCheckedDir(path, input) {
    let fd;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch (err) {
      throw fromErrno(err, input);
    }
    if (!this.rootOfDescriptor(fd)) {
      closeSync(fd);
      throw new FsError('outside_workspace', `${input} leads outside the sandbox's file roots`);
    }
    return fd;
  }

  /**
   * Describes a path without following a final symlink; `null` when it does not exist.
   * @param {string} input
   */
  stat(input) {
    let resolved;
    try {
      resolved = this.resolve(input, { followLast: false });
    } catch (err) {
      if (err instanceof FsError && err.code === 'not_found') return null;
      throw err;
    }
    try {
      const st = lstatSync(resolved.path);
      const type = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other';
      return { path: resolved.path, type, size: st.size, mtimeMs: st.mtimeMs };
    } catch (err) {
      const e = fromErrno(err, input);
      if (e.code === 'not_found') return null;
      throw e;
    }
  }
}

module.exports = { FsError, ConfinedFs };
