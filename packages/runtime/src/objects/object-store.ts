/**
 * Where bytes that every process of a deployment must reach live: layers of sessions'
 * workspaces and uploaded files' bytes. Two adapters: `DirObjectStore` (a directory, for one
 * machine, a shared mount, and tests) and `S3ObjectStore` (Amazon S3 and S3-compatible services).
 * See docs/decisions/2026-11-23-object-storage.md.
 */
import type { Readable } from 'node:stream';

/** What `head` and `list` tell about a stored object. */
export interface ObjectInfo {
  key: string;
  /** Length in bytes. */
  size: number;
  /** When the object was last written, in epoch milliseconds (the store's clock). */
  lastModified: number;
}

/** A body to store: bytes in memory, or a stream of them (read once, to its end). */
export type ObjectBody = Uint8Array | Readable | AsyncIterable<Uint8Array>;

/**
 * A flat namespace of immutable-by-convention objects under `/`-separated keys.
 *
 * Guarantees every adapter keeps (the conformance suite checks them): a `put` is all or nothing
 * (a reader sees the old object, the new one, or none; never part of one); concurrent puts of one
 * key leave one of them whole; `delete` of a missing key succeeds; `list` returns every key with
 * the prefix, in ascending byte order, however many pages the service needs.
 */
export interface ObjectStore {
  /**
   * Stores `body` under `key`, replacing what was there.
   * @example await objects.put('files/file_01…', bytes)
   */
  put(key: string, body: ObjectBody): Promise<void>;
  /** The object's bytes as a stream, or undefined when there is no such object. */
  get(key: string): Promise<Readable | undefined>;
  /** The object's size and time, or undefined when there is no such object. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Deletes the object; succeeds when there is none. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Where the objects are, for logs (never a secret). */
  readonly description: string;
}

/** Why an object store call failed. */
export type ObjectStoreErrorCode = 'invalid_key' | 'unavailable' | 'denied' | 'failed';

/** A failure of an object store; `retryable` when trying again later may succeed. */
export class ObjectStoreError extends Error {
  constructor(
    readonly code: ObjectStoreErrorCode,
    message: string,
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ObjectStoreError';
  }
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.=-]*$/;

/**
 * Checks that a key is relative `/`-separated segments of letters, digits and `_.=-`, none empty
 * and none starting with a dot: the same key then names the same object in every adapter (a
 * directory cannot hold `a` and `a/b` both, nor should a key climb out of it).
 * @throws ObjectStoreError `invalid_key`
 */
export function assertObjectKey(key: string): void {
  if (key.length === 0 || key.length > 900 || !key.split('/').every((segment) => SEGMENT.test(segment))) {
    throw new ObjectStoreError('invalid_key', `invalid object key ${JSON.stringify(key)}`);
  }
}

/** Checks a listing prefix: a key, a key followed by `/`, a leading part of a segment, or empty. */
export function assertObjectPrefix(prefix: string): void {
  if (prefix === '') return;
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  assertObjectKey(trimmed);
}
