/** Tells whatever runs sessions that a session has new input. Never blocks, never throws. */
export interface Waker {
  wake(sessionId: string): void;
}
