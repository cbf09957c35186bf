/**
 * Distinct host uids for sandboxes. Each sandbox owns one uid from a configured range for as long
 * as its storage exists: its files belong to that uid and its processes run as it, so two
 * sandboxes can neither read each other's files nor signal each other's processes.
 *
 * A claim is a file `<dir>/<uid>` created with O_EXCL, so several host processes sharing one
 * storage root never hand out the same uid. Two storage roots on one host need disjoint ranges.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A range of host uids (and the same gids) reserved for sandboxes. */
export interface UidRange {
  first: number;
  count: number;
}

/**
 * Checks a range: non-root, not the system or ordinary users' range, inside 32 bits.
 * @throws Error when the range could hand out root or a typical login uid
 */
export function assertUidRange(range: UidRange): void {
  if (!Number.isInteger(range.first) || !Number.isInteger(range.count) || range.count < 1) {
    throw new Error('the sandbox uid range needs integer `first` and a positive `count`');
  }
  if (range.first < 65536 || range.first + range.count > 2 ** 31) {
    throw new Error('the sandbox uid range must lie within [65536, 2^31) to stay clear of root and login accounts');
  }
}

/** Uids listed in the host's /etc/passwd: never handed to a sandbox. */
function accountUids(): Set<number> {
  try {
    const lines = readFileSync('/etc/passwd', 'utf8').split('\n');
    return new Set(lines.map((line) => Number(line.split(':')[2])).filter((uid) => Number.isInteger(uid)));
  } catch {
    return new Set();
  }
}

/**
 * Claims a free uid for `id`, starting the search at a hash of the id so claims rarely collide.
 * @returns the claimed uid
 * @throws Error when the range is exhausted
 */
export function claimUid(dir: string, range: UidRange, id: string): number {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const taken = accountUids();
  const start = createHash('sha256').update(id).digest().readUInt32BE(0) % range.count;
  for (let i = 0; i < range.count; i++) {
    const uid = range.first + ((start + i) % range.count);
    if (taken.has(uid)) continue;
    try {
      writeFileSync(join(dir, String(uid)), id, { flag: 'wx', mode: 0o600 });
      return uid;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`no free uid left in [${range.first}, ${range.first + range.count})`);
}

/** Releases `uid` if it is still claimed by `id`. */
export function releaseUid(dir: string, uid: number, id: string): void {
  const path = join(dir, String(uid));
  try {
    if (readFileSync(path, 'utf8') === id) unlinkSync(path);
  } catch {
    // Not claimed (any more): nothing to release.
  }
}
