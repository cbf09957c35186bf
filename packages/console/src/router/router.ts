import { useSyncExternalStore } from 'react';

/**
 * A small history-API router. The server answers every non-API path with the console's
 * `index.html`, so paths such as `/sessions/sesn_…` can be bookmarked and reloaded.
 */
const listeners = new Set<() => void>();

function emit(): void {
  for (const listener of [...listeners]) listener();
}

if (typeof window !== 'undefined') window.addEventListener('popstate', emit);

/** Goes to `to` (a path with an optional query), adding a history entry unless `replace`. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const current = `${location.pathname}${location.search}`;
  if (to === current) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  emit();
  // A new page starts at its top; replacing the entry (a filter change) keeps the place.
  if (!options.replace) window.scrollTo(0, 0);
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const snapshot = () => `${location.pathname}${location.search}`;

/** The current path and query; re-renders on navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const href = useSyncExternalStore(subscribe, snapshot, () => '/');
  const [path, search = ''] = href.split('?');
  return { path: path ?? '/', query: new URLSearchParams(search) };
}

/**
 * Matches `path` against a pattern such as `/sessions/:id/:tab?`; returns the parameters, or
 * undefined when it does not match.
 *
 * @example
 * match('/agents/:id', '/agents/agent_1') // { id: 'agent_1' }
 */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  let i = 0;
  for (; i < want.length; i += 1) {
    const part = want[i]!;
    const optional = part.endsWith('?');
    const name = part.replace(/^:/, '').replace(/\?$/, '');
    const value = have[i];
    if (value === undefined) {
      if (optional) continue;
      return undefined;
    }
    if (part.startsWith(':')) params[name] = decodeURIComponent(value);
    else if (part !== value) return undefined;
  }
  return have.length <= want.length ? params : undefined;
}
