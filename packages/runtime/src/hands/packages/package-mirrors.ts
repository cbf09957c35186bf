/**
 * Operator-configured package mirrors (`longhand serve --package-mirror npm=http://10.0.0.5:4873/`,
 * `LONGHAND_PACKAGE_MIRRORS`): internal registries (Artifactory, Nexus, Verdaccio, a Debian
 * mirror) the environment base builds use instead of the public ones. Their origins are opened to
 * the build sandbox even on private addresses; session sandboxes never see them. A mirror URL is
 * shown to the build sandbox, so it must not carry credentials.
 */
import type { OperatorOrigin } from '@longhand/sandbox';
import { PACKAGE_MANAGERS, type PackageManager } from '../../environments/package-specifiers.js';

/** One URL per manager; apt takes `deb …` source lines (any number). */
export interface PackageMirrors {
  apt?: readonly string[];
  cargo?: string;
  gem?: string;
  go?: string;
  npm?: string;
  pip?: string;
}

/**
 * Parses `manager=value` entries (repeated flags, or `LONGHAND_PACKAGE_MIRRORS` split on `;` and
 * newlines). `value` is an `http(s)://` URL without credentials, or for apt a source line such as
 * `deb [trusted=yes] http://10.0.0.5/debian bookworm main`.
 * @throws Error naming the entry and what is wrong with it
 * @example parsePackageMirrors(['npm=http://127.0.0.1:4873/', 'apt=deb http://10.0.0.5/debian bookworm main'])
 */
export function parsePackageMirrors(entries: readonly string[]): PackageMirrors {
  const mirrors: { -readonly [K in keyof PackageMirrors]: PackageMirrors[K] } = {};
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const at = entry.indexOf('=');
    const manager = entry.slice(0, Math.max(at, 0)).trim() as PackageManager;
    const value = entry.slice(at + 1).trim();
    if (at < 0 || !PACKAGE_MANAGERS.includes(manager)) {
      throw new Error(`package mirror ${JSON.stringify(raw)}: expected <manager>=<url> with a manager among ${PACKAGE_MANAGERS.join(', ')}`);
    }
    if (manager === 'apt') {
      mirrors.apt = [...(mirrors.apt ?? []), aptSourceLine(value, raw)];
      continue;
    }
    if (mirrors[manager] !== undefined) throw new Error(`package mirror ${JSON.stringify(raw)}: ${manager} has a mirror already`);
    mirrors[manager] = mirrorUrl(value, raw).href;
  }
  return mirrors;
}

/** Splits `LONGHAND_PACKAGE_MIRRORS` into entries. */
export function splitMirrorList(text: string | undefined): string[] {
  return (text ?? '').split(/[;\n]/).map((entry) => entry.trim()).filter((entry) => entry !== '');
}

/** Every mirror's origin (scheme-less host and port), for the build sandbox's egress policy. */
export function mirrorOrigins(mirrors: PackageMirrors): OperatorOrigin[] {
  const urls = [...(mirrors.apt ?? []).map(aptLineUrl), ...PACKAGE_MANAGERS.filter((m) => m !== 'apt').map((m) => mirrors[m as Exclude<PackageManager, 'apt'>])];
  const origins = new Map<string, OperatorOrigin>();
  for (const text of urls) {
    if (!text) continue;
    const url = new URL(text.replace(/^sparse\+/, ''));
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    origins.set(`${url.hostname}:${port}`, { host: url.hostname, port });
  }
  return [...origins.values()];
}

function mirrorUrl(value: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(value.replace(/^sparse\+/, ''));
  } catch {
    throw new Error(`package mirror ${JSON.stringify(raw)}: ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`package mirror ${JSON.stringify(raw)}: only http:// and https:// mirrors are supported`);
  if (url.username || url.password) {
    throw new Error(`package mirror ${JSON.stringify(raw)}: a mirror URL must not carry credentials (it is visible inside the build sandbox)`);
  }
  if (/["'\\\s]/.test(url.href)) throw new Error(`package mirror ${JSON.stringify(raw)}: the URL contains quotes, backslashes or spaces`);
  return url;
}

/** A `deb [options] URL suite [components…]` line, its URL checked like any mirror's. */
function aptSourceLine(value: string, raw: string): string {
  const match = /^deb(?:\s+\[[^\]\n]*\])?\s+(\S+)\s+\S+(?:\s+\S+)*$/.exec(value);
  if (!match) throw new Error(`package mirror ${JSON.stringify(raw)}: an apt mirror is a source line such as "deb http://10.0.0.5/debian bookworm main"`);
  mirrorUrl(match[1]!, raw);
  return value.replace(/\s+/g, ' ');
}

function aptLineUrl(line: string): string {
  return /^deb(?:\s+\[[^\]]*\])?\s+(\S+)/.exec(line)![1]!;
}
