import { randomBytes } from 'node:crypto';

/** Id prefixes, identical to the hosted API's so ids look familiar in logs and tools. */
export const ID_PREFIX = {
  agent: 'agent',
  environment: 'env',
  session: 'sesn',
  event: 'sevt',
  thread: 'sthr',
  sessionResource: 'sesrsc',
  outcome: 'outc',
  file: 'file',
  vault: 'vlt',
  credential: 'vcrd',
  memoryStore: 'memstore',
  memory: 'mem',
  memoryVersion: 'memver',
  skill: 'skill',
  work: 'work',
  workspace: 'wrkspc',
  request: 'req',
  apiKey: 'apikey',
  webhookEvent: 'wevt',
  checkpoint: 'ckpt',
} as const;

export type IdKind = keyof typeof ID_PREFIX;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 24;

let lastMillis = 0;
let counter = 0;

/**
 * Returns a new id such as `sesn_011CZkZAtmR3yMPDzynEDxu7`.
 *
 * The body is 24 base-62 characters: 8 encode the creation time in milliseconds and a per-process
 * counter, so ids made later sort after ids made earlier within a process; 16 are random
 * (about 95 bits), so ids never collide across processes.
 */
export function newId(kind: IdKind): string {
  const now = Date.now();
  if (now === lastMillis) counter += 1;
  else {
    lastMillis = now;
    counter = 0;
  }
  // 41 bits of milliseconds + 6 bits of counter fit in 8 base-62 digits (62^8 ≈ 2^47.6).
  let ordered = BigInt(now) * 64n + BigInt(counter & 63);
  let head = '';
  for (let i = 0; i < 8; i += 1) {
    head = ALPHABET[Number(ordered % 62n)] + head;
    ordered /= 62n;
  }
  const bytes = randomBytes(BODY_LENGTH - 8);
  let tail = '';
  for (const byte of bytes) tail += ALPHABET[byte % 62];
  return `${ID_PREFIX[kind]}_${head}${tail}`;
}

/** True when `id` carries the prefix of `kind`; used to reject obviously wrong ids early. */
export function hasPrefix(id: string, kind: IdKind): boolean {
  return id.startsWith(`${ID_PREFIX[kind]}_`);
}

/**
 * The id of a session's primary thread, derived from the session id so that it needs no
 * storage and every process agrees on it: `sesn_X` has primary thread `sthr_X`.
 */
export function primaryThreadId(sessionId: string): string {
  return `sthr_${sessionId.slice(sessionId.indexOf('_') + 1)}`;
}
