/**
 * The record of one sandbox's layered storage (`workspaces/<id>/workspace.json`), and loading the
 * records every earlier version wrote (DESIGN invariant 6):
 *
 * - version 1, `layout: "dir"` (DirWorkspaceStore): `rw/` holds all the files. Loaded as an
 *   empty stack under `rw/` as the writable layer; rewritten as version 2 on the next change.
 * - version 2, `layout: "overlay"`: `layers` (bottom first) under `rw/` as the overlay's upper.
 * - version 2, `layout: "copy"`: `rw/` holds all the files; `layers` is the snapshot they were
 *   last made from or saved as (bookkeeping, and kept from garbage collection).
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, openSync, closeSync, fsyncSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { SandboxError } from '../sandbox.js';
import type { WorkspaceRecord } from './workspace-store.js';

/** A record as this store keeps it in memory (always version 2 after loading). */
export interface LayeredRecord {
  version: 2;
  id: string;
  uid: number;
  gid: number;
  layout: 'overlay' | 'copy';
  createdAt: string;
  /** Layer ids the writable layer stands on, bottom first. */
  layers: string[];
}

/**
 * Reads a record of any version, or undefined when there is none.
 * @throws SandboxError `unavailable` for a record this version does not understand
 */
export function readLayeredRecord(path: string, id: string, layout: 'overlay' | 'copy'): LayeredRecord | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const raw = JSON.parse(text) as Partial<WorkspaceRecord> & { layers?: unknown };
  const valid = raw.id === id && Number.isInteger(raw.uid) && Number.isInteger(raw.gid) && typeof raw.createdAt === 'string';
  if (valid && raw.version === 1 && raw.layout === 'dir') {
    return { version: 2, id, uid: raw.uid!, gid: raw.gid!, layout, createdAt: raw.createdAt!, layers: [] };
  }
  if (valid && raw.version === 2 && (raw.layout === 'overlay' || raw.layout === 'copy') && Array.isArray(raw.layers) && raw.layers.every((l) => typeof l === 'string')) {
    if (raw.layout === layout) return { ...(raw as LayeredRecord), layers: [...(raw.layers as string[])] };
    // Files of a copy-based store are whole trees: an overlay store uses them as its writable layer.
    if (raw.layout === 'copy' && layout === 'overlay') return { ...(raw as LayeredRecord), layout, layers: [] };
    throw new SandboxError('unavailable', `sandbox ${id} was stored by overlay layers, which this host cannot mount (it needs root and kernel overlayfs)`);
  }
  throw new SandboxError('unavailable', `the record of sandbox ${id} is not one this version understands`);
}

/** Writes a record durably (temporary file, fsync, rename). */
export function writeLayeredRecord(path: string, record: LayeredRecord, flag: 'w' | 'wx' = 'w'): void {
  const text = `${JSON.stringify(record)}\n`;
  if (flag === 'wx') {
    writeFileSync(path, text, { flag: 'wx', mode: 0o600 });
    return;
  }
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text, { mode: 0o600 });
  const fd = openSync(temporary, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/**
 * Creates a directory with its final mode and owner in one visible step (made under a temporary
 * name, then renamed), so a crash never leaves one with the wrong owner. Does nothing if `path`
 * exists.
 */
export function createDirectory(path: string, mode: number, owner: { uid: number; gid: number } | undefined): void {
  try {
    lstatSync(path);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const temporary = `${path}.new-${process.pid}-${Math.random().toString(36).slice(2)}`;
  mkdirSync(temporary, { mode });
  chmodSync(temporary, mode);
  if (owner) chownSync(temporary, owner.uid, owner.gid);
  try {
    renameSync(temporary, path);
  } catch (err) {
    rmSync(temporary, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
  }
}
