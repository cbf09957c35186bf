import { openSqliteStore } from '../sqlite/index.js';
import type { Store } from '../store.js';

/**
 * A private, in-memory store for tests. It is the SQLite adapter on `:memory:`, so tests that
 * use it exercise the same SQL as production rather than a hand-written double.
 */
export function openMemoryStore(): Promise<Store> {
  return openSqliteStore(':memory:');
}
