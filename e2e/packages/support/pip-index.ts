/**
 * A tiny PEP 503 package index on 127.0.0.1 for tests (no network): one wheel per project, built
 * here with Python's zipfile, whose console script prints a line. Counts wheel downloads.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A project `name` whose command `name` prints `output`. */
export interface WheelFixture {
  name: string;
  version: string;
  output: string;
}

export interface PipIndex {
  /** The index URL, `http://127.0.0.1:<port>/simple/`. */
  url: string;
  downloads: Map<string, number>;
  close(): Promise<void>;
}

const BUILD_WHEEL = `
import base64, hashlib, sys, zipfile
path, name, version, output = sys.argv[1:5]
module = name.replace('-', '_')
info = f'{module}-{version}.dist-info'
files = {
    f'{module}/__init__.py': f'def main():\\n    print({output!r})\\n',
    f'{info}/METADATA': f'Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n',
    f'{info}/WHEEL': 'Wheel-Version: 1.0\\nGenerator: longhand-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n',
    f'{info}/entry_points.txt': f'[console_scripts]\\n{name} = {module}:main\\n',
}
record = []
with zipfile.ZipFile(path, 'w') as wheel:
    for file, text in files.items():
        data = text.encode()
        wheel.writestr(file, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
        record.append(f'{file},sha256={digest},{len(data)}')
    record.append(f'{info}/RECORD,,')
    wheel.writestr(f'{info}/RECORD', '\\n'.join(record) + '\\n')
`;

function buildWheel(fixture: WheelFixture): { filename: string; bytes: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'longhand-wheel-fixture-'));
  try {
    const filename = `${fixture.name.replace(/-/g, '_')}-${fixture.version}-py3-none-any.whl`;
    execFileSync('python3', ['-c', BUILD_WHEEL, join(dir, filename), fixture.name, fixture.version, fixture.output]);
    return { filename, bytes: readFileSync(join(dir, filename)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts the index with `fixtures`. */
export async function startPipIndex(fixtures: readonly WheelFixture[]): Promise<PipIndex> {
  const projects = new Map(fixtures.map((fixture) => [fixture.name, { fixture, ...buildWheel(fixture) }]));
  const downloads = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const page = /^\/simple\/([^/]+)\/$/.exec(path);
    if (page) {
      const project = projects.get(page[1]!);
      if (!project) return void res.writeHead(404).end();
      const sha = createHash('sha256').update(project.bytes).digest('hex');
      return void res.writeHead(200, { 'content-type': 'text/html' }).end(`<!DOCTYPE html><html><body><a href="/files/${project.filename}#sha256=${sha}">${project.filename}</a></body></html>`);
    }
    const project = [...projects.values()].find((candidate) => path === `/files/${candidate.filename}`);
    if (!project) return void res.writeHead(404).end();
    downloads.set(project.fixture.name, (downloads.get(project.fixture.name) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(project.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`,
    downloads,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
