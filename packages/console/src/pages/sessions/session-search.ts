import type { Session } from '@longhand/protocol';

/**
 * Whether a session matches a search: every word of `query` must appear (case-insensitively)
 * in its title, its id, or one of its metadata keys or values. `key:value` words match one
 * metadata entry whose key and value contain them.
 *
 * @example
 * matchesSearch(session, 'deploy env:prod')
 */
export function matchesSearch(session: Session, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const entries = Object.entries(session.metadata ?? {}).map(([key, value]) => [key.toLowerCase(), value.toLowerCase()] as const);
  const haystack = [session.title ?? '', session.id, ...entries.flat()].join('\n').toLowerCase();
  return words.every((word) => {
    const colon = word.indexOf(':');
    if (colon > 0) {
      const key = word.slice(0, colon);
      const value = word.slice(colon + 1);
      if (entries.some(([k, v]) => k.includes(key) && v.includes(value))) return true;
    }
    return haystack.includes(word);
  });
}
