import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const packagesDir = join(root, 'packages');

/** Which internal packages each package may import (DESIGN.md, "Layout"). */
const ALLOWED: Record<string, readonly string[]> = {
  protocol: [],
  store: ['protocol'],
  sandbox: [],
  tools: ['sandbox'],
  harness: ['protocol', 'tools', 'store', 'sandbox'],
  runtime: ['protocol', 'store', 'sandbox', 'tools', 'harness'],
  server: ['protocol', 'runtime'],
  cli: ['protocol', 'runtime', 'server'],
  console: ['protocol'],
};

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|tsx|js|mjs)$/.test(entry)) out.push(path);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)) out.push(match[1]!);
  return out;
}

const packages = readdirSync(packagesDir).filter((name) => existsSync(join(packagesDir, name, 'package.json')));

describe('architecture', () => {
  it('knows the allowed dependencies of every package', () => {
    for (const name of packages) expect(Object.keys(ALLOWED), `packages/${name} is missing from ALLOWED`).toContain(name);
  });

  for (const name of packages) {
    it(`packages/${name} imports only the packages below it, through their public entries`, () => {
      const violations: string[] = [];
      for (const file of sourceFiles(join(packagesDir, name, 'src'))) {
        for (const spec of importsOf(file)) {
          const match = /^@longhand\/([^/]+)(\/.*)?$/.exec(spec);
          if (!match) continue;
          const target = match[1]!;
          const where = relative(root, file);
          if (target !== name && !ALLOWED[name]?.includes(target)) violations.push(`${where} imports ${spec}`);
          if (match[2]?.startsWith('/src')) violations.push(`${where} imports ${spec}: use the package's public entry`);
        }
      }
      expect(violations).toEqual([]);
    });
  }

  it('has no cycles between packages', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, path: string[]): void => {
      if (done.has(name)) return;
      if (visiting.has(name)) throw new Error(`cycle: ${[...path, name].join(' -> ')}`);
      visiting.add(name);
      for (const next of ALLOWED[name] ?? []) visit(next, [...path, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of Object.keys(ALLOWED)) visit(name, []);
  });
});

describe('file size budget', () => {
  const files = packages.flatMap((name) => sourceFiles(join(packagesDir, name, 'src')));

  it('keeps every source file under the hard limit of 800 lines', () => {
    const over = files
      .map((file) => ({ file: relative(root, file), lines: readFileSync(file, 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > 800);
    expect(over).toEqual([]);
  });

  it('exports explicitly from package entries (no `export *`)', () => {
    const entries = packages.flatMap((name) => sourceFiles(join(packagesDir, name, 'src')).filter((f) => /index\.tsx?$/.test(f)));
    const offenders = entries.filter((file) => /^export \*/m.test(readFileSync(file, 'utf8'))).map((f) => relative(root, f));
    expect(offenders).toEqual([]);
  });
});
