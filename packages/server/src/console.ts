import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where `npm run build:console` writes the web console. Found by path, not by import: the
 * server does not depend on the console package, and works the same when it was never built.
 */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../console/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/**
 * What the console's pages may do: load their own scripts and styles, call the API on the same
 * origin, show images from blobs (workspace previews). No inline scripts, no framing.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Longhand console not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1c2230}code{background:#eef0f3;padding:2px 5px;border-radius:4px}</style>
</head><body>
<h1>The Longhand console has not been built</h1>
<p>The API is running: this page is all that is missing. Build the web console once, then reload:</p>
<p><code>npm run build:console</code></p>
<p>(<code>./scripts/setup.sh</code> builds it too.) The API itself answers under <code>/v1/</code>, and <code>/health</code> tells whether the server is up.</p>
</body></html>
`;

/** True for paths the console must never answer: the API and the health check. */
export function isApiPath(path: string): boolean {
  return path === '/health' || /(^|\/)v1(\/|$)/.test(path);
}

export interface ConsoleOptions {
  /** The built console; defaults to `packages/console/dist`. */
  dir?: string;
}

function headersFor(file: string, immutable: boolean): Headers {
  const headers = new Headers({
    'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (file.endsWith('.html')) {
    headers.set('content-security-policy', CSP);
    headers.set('referrer-policy', 'no-referrer');
  }
  return headers;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the built web console for a GET or HEAD request that no API route took: a file of the
 * build when one matches, else `index.html` so client-side routes (`/sessions/sesn_…`) load the
 * app. Answers `undefined` for API paths, other methods and missing assets, leaving those to the
 * API's own 404. Without a build it serves a page that says how to make one; the API never
 * depends on it.
 *
 * @example
 * const serveConsole = consoleHandler();
 * app.notFound(async (c) => (await serveConsole(c.req.raw)) ?? apiNotFound(c));
 */
export function consoleHandler(options: ConsoleOptions = {}): (request: Request) => Promise<Response | undefined> {
  const root = normalize(options.dir ?? DEFAULT_CONSOLE_DIR);
  const rootWithSep = root.endsWith(sep) ? root : `${root}${sep}`;
  return async function serveConsole(request) {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    let path: string;
    try {
      path = decodeURIComponent(new URL(request.url).pathname);
    } catch {
      return undefined;
    }
    if (isApiPath(path) || path.includes('\0')) return undefined;
    const body = (bytes: Uint8Array<ArrayBuffer> | string) => (request.method === 'HEAD' ? null : bytes);
    const read = async (file: string) => new Uint8Array(await readFile(file));
    const candidate = normalize(join(root, path));
    if (candidate.startsWith(rootWithSep) && (await isFile(candidate))) {
      const immutable = candidate.startsWith(join(root, 'assets') + sep);
      return new Response(body(await read(candidate)), { status: 200, headers: headersFor(candidate, immutable) });
    }
    // A missing asset (a name with an extension) is a plain 404; anything else is a page of the app.
    if (/\.[a-z0-9]+$/i.test(path)) return undefined;
    const index = join(root, 'index.html');
    if (await isFile(index)) return new Response(body(await read(index)), { status: 200, headers: headersFor(index, false) });
    return new Response(body(NOT_BUILT), { status: 404, headers: headersFor('not-built.html', false) });
  };
}
