/**
 * The id of a session's primary thread. It is derived from the session id so that it needs no
 * storage and every process agrees on it: `sesn_X` has primary thread `sthr_X`.
 */
export function primaryThreadId(sessionId: string): string {
  return `sthr_${sessionId.slice(sessionId.indexOf('_') + 1)}`;
}
