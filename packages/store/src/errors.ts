/** Local errors of the store. Each has a `code` and says whether retrying can help. */
export class LeaseLostError extends Error {
  readonly code = 'lease_lost';
  readonly retryable = false;
  constructor(readonly sessionId: string) {
    super(`the lease on session ${sessionId} is no longer held by this writer`);
    this.name = 'LeaseLostError';
  }
}

/** True for a `LeaseLostError`. */
export function isLeaseLost(error: unknown): error is LeaseLostError {
  return error instanceof Error && (error as { code?: string }).code === 'lease_lost';
}

/** The store was closed while an operation was pending or started. */
export class StoreClosedError extends Error {
  readonly code = 'store_closed';
  readonly retryable = true;
  constructor() {
    super('the store is closed');
    this.name = 'StoreClosedError';
  }
}
