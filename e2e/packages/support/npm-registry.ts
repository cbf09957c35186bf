/**
 * A tiny npm registry on 127.0.0.1 for tests (no network): serves packuments and tarballs of
 * packages built here, each with one command, and counts the tarball downloads (one per install).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A package the registry serves: `name@version`, whose command `name` prints `output`. */
export interface NpmFixture {
  name: string;
  version: string;
  output: string;
}

export interface NpmRegistry {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** Tarball downloads by package name. */
  downloads: Map<string, number>;
  /** Every request path, in order. */
  requests: string[];
  /** Publishes another package. */
  add(fixture: NpmFixture): void;
  close(): Promise<void>;
}

/** Builds the `.tgz` of a package with a `bin` command (a `package/` directory, as npm packs it). */
function tarball(fixture: NpmFixture): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'longhand-npm-fixture-'));
  try {
    mkdirSync(join(dir, 'package', 'bin'), { recursive: true });
    const manifest = { name: fixture.name, version: fixture.version, bin: { [fixture.name]: 'bin/cli.js' } };
    writeFileSync(join(dir, 'package', 'package.json'), JSON.stringify(manifest));
    writeFileSync(join(dir, 'package', 'bin', 'cli.js'), `#!/usr/bin/env node\nconsole.log(${JSON.stringify(fixture.output)});\n`);
    chmodSync(join(dir, 'package', 'bin', 'cli.js'), 0o755);
    execFileSync('tar', ['czf', join(dir, 'package.tgz'), '-C', dir, 'package']);
    return readFileSync(join(dir, 'package.tgz'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts the registry with `fixtures`; an unknown package is a 404, as on the real registry. */
export async function startNpmRegistry(fixtures: readonly NpmFixture[]): Promise<NpmRegistry> {
  const tarballs = new Map(fixtures.map((fixture) => [fixture.name, { fixture, bytes: tarball(fixture) }]));
  const downloads = new Map<string, number>();
  const requests: string[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push(path);
    const tgz = /^\/(.+)\/-\/[^/]+\.tgz$/.exec(path);
    const entry = tarballs.get(tgz ? tgz[1]! : path.slice(1));
    if (!entry) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
      return;
    }
    if (tgz) {
      downloads.set(entry.fixture.name, (downloads.get(entry.fixture.name) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(entry.bytes);
      return;
    }
    const { name, version } = entry.fixture;
    const dist = {
      tarball: `${base}${name}/-/${name}-${version}.tgz`,
      shasum: createHash('sha1').update(entry.bytes).digest('hex'),
      integrity: `sha512-${createHash('sha512').update(entry.bytes).digest('base64')}`,
    };
    const packument = { name, 'dist-tags': { latest: version }, versions: { [version]: { name, version, bin: { [name]: 'bin/cli.js' }, dist } } };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    downloads,
    requests,
    add: (fixture) => void tarballs.set(fixture.name, { fixture, bytes: tarball(fixture) }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
