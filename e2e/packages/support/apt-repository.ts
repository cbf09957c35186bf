/**
 * A flat apt repository on 127.0.0.1 for tests (no network): `.deb` packages built here with
 * `dpkg-deb --build`, each holding one shell command in /usr/bin, and a `Packages` index written
 * by hand. Its source line is `deb [trusted=yes] http://127.0.0.1:<port>/ ./`.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A package whose command `command` prints `output`. */
export interface DebFixture {
  name: string;
  version: string;
  command: string;
  output: string;
  /** A `Depends:` field. */
  depends?: string;
}

export interface AptRepository {
  /** The apt source line of the repository. */
  source: string;
  /** `.deb` downloads by package name. */
  downloads: Map<string, number>;
  close(): Promise<void>;
}

function buildDeb(fixture: DebFixture): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'longhand-deb-fixture-'));
  try {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'DEBIAN'), { recursive: true });
    mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
    const depends = fixture.depends ? `Depends: ${fixture.depends}\n` : '';
    writeFileSync(join(root, 'DEBIAN', 'control'), `Package: ${fixture.name}\nVersion: ${fixture.version}\nArchitecture: all\n${depends}Maintainer: Longhand tests <tests@example.invalid>\nDescription: a test package\n`);
    writeFileSync(join(root, 'usr', 'bin', fixture.command), `#!/bin/sh\necho ${JSON.stringify(fixture.output)}\n`);
    chmodSync(join(root, 'usr', 'bin', fixture.command), 0o755);
    execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, join(dir, 'package.deb')], { stdio: 'ignore' });
    return readFileSync(join(dir, 'package.deb'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts the repository with `fixtures`. */
export async function startAptRepository(fixtures: readonly DebFixture[]): Promise<AptRepository> {
  const files = new Map<string, { name: string; bytes: Buffer }>();
  const stanzas: string[] = [];
  for (const fixture of fixtures) {
    const bytes = buildDeb(fixture);
    const filename = `${fixture.name}_${fixture.version}_all.deb`;
    files.set(`/${filename}`, { name: fixture.name, bytes });
    stanzas.push(
      [
        `Package: ${fixture.name}`,
        `Version: ${fixture.version}`,
        'Architecture: all',
        ...(fixture.depends ? [`Depends: ${fixture.depends}`] : []),
        'Maintainer: Longhand tests <tests@example.invalid>',
        `Filename: ./${filename}`,
        `Size: ${bytes.length}`,
        `SHA256: ${createHash('sha256').update(bytes).digest('hex')}`,
        'Description: a test package',
      ].join('\n'),
    );
  }
  const index = `${stanzas.join('\n\n')}\n`;
  const downloads = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!.replace(/^\/\.\//, '/');
    if (path === '/Packages') return void res.writeHead(200).end(index);
    const file = files.get(path);
    if (!file) return void res.writeHead(404).end();
    downloads.set(file.name, (downloads.get(file.name) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'application/vnd.debian.binary-package' }).end(file.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    source: `deb [trusted=yes] http://127.0.0.1:${port}/ ./`,
    downloads,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
