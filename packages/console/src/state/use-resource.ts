import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from '../api/api-error.js';

export interface Resource<T> {
  data: T | undefined;
  /** The last failure, as a sentence; cleared by the next success. */
  error: string | undefined;
  /** The last failure itself, for pages that react to a status (404). */
  failure: unknown;
  loading: boolean;
  reload: () => Promise<void>;
}

/**
 * Loads `load()` now and whenever `deps` change; with `pollMs`, again every so often while the
 * tab is visible. Answers of superseded loads are dropped, so a slow old answer never
 * overwrites a newer one.
 */
export function useResource<T>(load: () => Promise<T>, deps: readonly unknown[], options: { pollMs?: number } = {}): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [failure, setFailure] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const value = await loadRef.current();
      if (mine !== generation.current) return;
      setData(value);
      setFailure(undefined);
    } catch (error) {
      if (mine !== generation.current) return;
      setFailure(error);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  // `deps` are the caller's: a change of them means "load something else".
  useEffect(() => {
    setData(undefined);
    void reload();
  }, deps);

  useEffect(() => {
    if (!options.pollMs) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void reload();
    }, options.pollMs);
    return () => clearInterval(timer);
  }, [options.pollMs, reload]);

  return { data, error: failure === undefined ? undefined : describeError(failure), failure, loading, reload };
}
