/**
 * Doublestar glob patterns compiled to regular expressions over relative POSIX paths.
 *
 * Syntax: `*` (any characters but `/`), `?` (one character but `/`), `[abc]` `[a-z]` `[!abc]`
 * (one character of a set), `{a,b}` (alternatives, may nest and contain `/`), `**` as a whole
 * segment (zero or more directories), `\` (escapes the next character). As in bash and Node's
 * `fs.glob`, a wildcard does not match a name starting with `.` unless the pattern segment itself
 * starts with `.`: `**\/*.ts` skips `.git/x.ts`, `.github/**` reaches into `.github`.
 */

/** The most alternatives brace expansion may produce: `{a,b}{c,d}…` grows exponentially. */
const MAX_EXPANSIONS = 1024;

/** A pattern that cannot be compiled. */
export class GlobPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GlobPatternError';
  }
}

/** Index of the `}` closing the `{` at `open`, and the top-level commas between; undefined when unbalanced. */
function braceGroup(pattern: string, open: number): { close: number; commas: number[] } | undefined {
  let depth = 0;
  const commas: number[] = [];
  for (let i = open; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      i++;
    } else if (ch === '{') {
      depth++;
    } else if (ch === '}') {
      depth--;
      if (depth === 0) return { close: i, commas };
    } else if (ch === ',' && depth === 1) {
      commas.push(i);
    }
  }
  return undefined;
}

/**
 * Expands `{a,b}` alternatives into separate patterns. A group without a top-level comma (`{a}`)
 * or without its closing brace stays literal, as in bash.
 *
 * @example
 * expandBraces('src/{a,b/c}.ts') // ['src/a.ts', 'src/b/c.ts']
 */
export function expandBraces(pattern: string): string[] {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\') {
      i++;
      continue;
    }
    if (pattern[i] !== '{') continue;
    const group = braceGroup(pattern, i);
    if (!group || group.commas.length === 0) continue;
    const prefix = pattern.slice(0, i);
    const suffix = pattern.slice(group.close + 1);
    const bounds = [i, ...group.commas, group.close];
    const out: string[] = [];
    for (let k = 0; k + 1 < bounds.length; k++) {
      const option = pattern.slice((bounds[k] as number) + 1, bounds[k + 1]);
      for (const expanded of expandBraces(prefix + option + suffix)) {
        out.push(expanded);
        if (out.length > MAX_EXPANSIONS) throw new GlobPatternError(`the pattern expands to more than ${MAX_EXPANSIONS} alternatives`);
      }
    }
    return out;
  }
  return [pattern];
}

function escapeRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** A literal character inside a regex class (unicode mode allows escaping only these). */
function classMember(ch: string): string {
  return /[\\\]^[-]/.test(ch) ? `\\${ch}` : ch;
}

/** `[...]` starting at `open` as a regex class, or undefined when it never closes (then `[` is literal). */
function characterClass(segment: string, open: number): { regex: string; end: number } | undefined {
  let i = open + 1;
  let negate = false;
  if (segment[i] === '!' || segment[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  // A `]` right after the opening is a member, not the end.
  if (segment[i] === ']') {
    body += '\\]';
    i++;
  }
  for (; i < segment.length; i++) {
    const ch = segment[i] as string;
    if (ch === ']') return { regex: `[${negate ? '^/' : ''}${body}]`, end: i };
    if (ch === '\\' && i + 1 < segment.length) {
      body += classMember(segment[++i] as string);
    } else if (ch === '-') {
      body += '-';
    } else {
      body += classMember(ch);
    }
  }
  return undefined;
}

/** One path segment (no `/`, not `**`) as a regex. */
function segmentRegex(segment: string): string {
  // A leading dot must be written to be matched; escaped or not, it is literal.
  let out = segment.startsWith('.') || segment.startsWith('\\.') ? '' : '(?!\\.)';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i] as string;
    if (ch === '*') {
      while (segment[i + 1] === '*') i++;
      out += '[^/]*';
    } else if (ch === '?') {
      out += '[^/]';
    } else if (ch === '[') {
      const cls = characterClass(segment, i);
      if (cls) {
        out += cls.regex;
        i = cls.end;
      } else {
        out += '\\[';
      }
    } else if (ch === '\\' && i + 1 < segment.length) {
      out += escapeRegExp(segment[++i] as string);
    } else {
      out += escapeRegExp(ch);
    }
  }
  return out;
}

/** One brace-free pattern as a regex source (without anchors). */
function patternRegex(pattern: string): string {
  const segments = pattern.split('/').filter((segment, i, all) => segment !== '' || i === all.length - 1);
  if (segments[segments.length - 1] === '') segments.pop();
  let out = '';
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '**') {
      // Any number of directories whose names do not start with a dot; as the last segment, also the file.
      out += last ? '(?:(?!\\.)[^/]+)(?:/(?!\\.)[^/]+)*' : '(?:(?!\\.)[^/]+/)*';
    } else {
      out += segmentRegex(segment) + (last ? '' : '/');
    }
  });
  return out;
}

/**
 * Compiles a relative glob pattern to a RegExp that tests whole relative paths (`src/a.ts`).
 * @throws GlobPatternError when brace expansion runs away
 *
 * @example
 * compileGlob('**\/*.{ts,tsx}').test('src/ui/app.tsx') // true
 */
export function compileGlob(pattern: string): RegExp {
  const alternatives = [...new Set(expandBraces(pattern).map(patternRegex))];
  try {
    return new RegExp(`^(?:${alternatives.join('|')})$`, 'u');
  } catch (err) {
    // Only a character class can be malformed this late, such as the range `[z-a]`.
    throw new GlobPatternError(`invalid character class: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Whether a segment holds glob syntax (anything but a literal name). */
function isMagic(segment: string): boolean {
  return /[*?[{\\]/.test(segment);
}

/**
 * Splits a pattern into the literal directory it starts with and the rest, so the file walk can
 * start as deep as possible. The last segment always stays in the rest.
 *
 * @example
 * splitLiteralPrefix('src/lib/**\/*.ts') // { prefix: 'src/lib', rest: '**\/*.ts' }
 */
export function splitLiteralPrefix(pattern: string): { prefix: string; rest: string } {
  const absolute = pattern.startsWith('/');
  const segments = pattern.split('/').filter((segment) => segment !== '');
  let n = 0;
  while (n < segments.length - 1 && !isMagic(segments[n] as string)) n++;
  const prefix = segments.slice(0, n).join('/');
  return { prefix: absolute ? `/${prefix}` : prefix, rest: segments.slice(n).join('/') };
}

/** Whether any alternative of the pattern has a `..` segment (which would walk out of the search root). */
export function patternAscends(pattern: string): boolean {
  return expandBraces(pattern).some((alternative) => alternative.split('/').includes('..'));
}
