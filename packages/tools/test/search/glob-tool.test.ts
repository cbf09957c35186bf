import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globTool, type ToolResult } from '../../src/index.js';
import { openTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { scratchDir, textOf } from '../support/tool-text.js';

let box: TestSandbox;
let dir: string;
beforeAll(async () => {
  box = await openTestSandbox('glob');
  dir = scratchDir('glob');
  // Modification times set explicitly, so "newest first" has one right answer.
  const setup = await box.sandbox.shell(
    [
      `mkdir -p ${dir} && cd ${dir}`,
      'mkdir -p src/deep node_modules/pkg .git .hidden docs "with space" données',
      'touch -d @1700000300 src/a.ts',
      'touch -d @1700000100 src/deep/b.ts',
      'touch -d @1700000200 src/deep/c.tsx',
      'touch -d @1700000400 top.ts',
      'touch node_modules/pkg/index.ts .git/config.ts .hidden/secret.ts src/.dot.ts docs/readme.md "with space/file name.ts" données/été.ts',
      "mkdir odd && touch $'odd/new\\nline.ts'",
      'ln -s /etc etc-link && ln -s src src-link && ln -s /etc/passwd passwd-link.ts',
      'mkdir -p many && for i in $(seq 1 30); do touch -d @$((1700001000 + i)) many/f$i.txt; done',
    ].join(' && '),
  );
  if (setup.exitCode !== 0) throw new Error(`setup failed: ${setup.output}`);
});
afterAll(() => box?.close());

const glob = (input: unknown, options?: Parameters<typeof globTool>[2]): Promise<ToolResult> => globTool(input, box.sandbox, options);
const lines = (result: ToolResult) => textOf(result).split('\n');

describe('glob', () => {
  it('matches with ** across directories, newest first, as absolute paths', async () => {
    const result = await glob({ pattern: 'src/**/*.ts', path: dir });
    expect(result.isError).toBe(false);
    expect(lines(result)).toEqual([`${dir}/src/a.ts`, `${dir}/src/deep/b.ts`]);
  });

  it('orders by modification time, newest first', async () => {
    const result = await glob({ pattern: '**/*.{ts,tsx}', path: `${dir}/src` });
    expect(lines(result)).toEqual([`${dir}/src/a.ts`, `${dir}/src/deep/c.tsx`, `${dir}/src/deep/b.ts`]);
  });

  it('skips hidden files, .git and node_modules unless the pattern names them', async () => {
    const all = lines(await glob({ pattern: '**/*.ts', path: dir }));
    expect(all.some((line) => line.includes('node_modules') || line.includes('.git') || line.includes('.hidden') || line.includes('.dot.ts'))).toBe(false);
    expect(lines(await glob({ pattern: 'node_modules/**/*.ts', path: dir }))).toEqual([`${dir}/node_modules/pkg/index.ts`]);
    expect(lines(await glob({ pattern: '.hidden/*', path: dir }))).toEqual([`${dir}/.hidden/secret.ts`]);
    expect(lines(await glob({ pattern: 'src/.*.ts', path: dir }))).toEqual([`${dir}/src/.dot.ts`]);
  });

  it('finds names with spaces and non-ASCII characters', async () => {
    expect(lines(await glob({ pattern: 'with space/*.ts', path: dir }))).toEqual([`${dir}/with space/file name.ts`]);
    expect(lines(await glob({ pattern: 'données/?té.ts', path: dir }))).toEqual([`${dir}/données/été.ts`]);
  });

  it('finds a name holding a newline', async () => {
    expect(textOf(await glob({ pattern: 'odd/*', path: dir }))).toBe(`${dir}/odd/new\nline.ts`);
  });

  it('accepts an absolute pattern and a relative path', async () => {
    expect(lines(await glob({ pattern: `${dir}/docs/*.md` }))).toEqual([`${dir}/docs/readme.md`]);
    expect(lines(await glob({ pattern: '*.md', path: `${dir.slice('/workspace/'.length)}/docs` }))).toEqual([`${dir}/docs/readme.md`]);
  });

  it('searches from /workspace by default', async () => {
    expect(lines(await glob({ pattern: `${dir.slice('/workspace/'.length)}/top.ts` }))).toEqual([`${dir}/top.ts`]);
  });

  it('caps the results and says how many matched', async () => {
    const result = await glob({ pattern: 'many/*.txt', path: dir }, { maxResults: 5 });
    expect(lines(result).slice(0, 5)).toEqual([30, 29, 28, 27, 26].map((i) => `${dir}/many/f${i}.txt`));
    expect(lines(result)[5]).toBe('[30 files match; showing the 5 most recently modified. Narrow the pattern or "path" to see the others.]');
    expect(lines(await glob({ pattern: 'many/*.txt', path: dir }))).toHaveLength(30);
  });

  it('says when nothing matches, without failing', async () => {
    const result = await glob({ pattern: '**/*.rs', path: dir });
    expect(result).toEqual({ content: [{ type: 'text', text: `No files match "**/*.rs" in ${dir}` }], isError: false });
  });

  it('lists files only, and does not walk through symbolic links', async () => {
    const result = lines(await glob({ pattern: '**/*', path: dir }));
    expect(result.some((line) => line.includes('etc-link') || line.includes('src-link') || line.includes('passwd-link'))).toBe(false);
    expect(result).not.toContain(`${dir}/src`);
  });

  it('searches a linked directory that stays inside the workspace', async () => {
    expect(lines(await glob({ pattern: '*.ts', path: `${dir}/src-link` }))).toContain(`${dir}/src/a.ts`);
  });

  it('refuses search paths outside the workspace: links, .., system directories', async () => {
    for (const path of [`${dir}/etc-link`, '..', `${dir}/../..`, '/etc', '/']) {
      const result = await glob({ pattern: '**/*', path });
      expect(result.isError, path).toBe(true);
      expect(textOf(result), path).toContain('outside');
    }
    const absolute = await glob({ pattern: '/etc/*' });
    expect(absolute.isError).toBe(true);
    const linked = await glob({ pattern: `${dir.slice('/workspace/'.length)}/etc-link/*` });
    expect(linked.isError).toBe(true);
  });

  it('refuses .. in the pattern and explains what to do instead', async () => {
    const result = await glob({ pattern: '../*', path: dir });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('set "path"');
    expect((await glob({ pattern: 'src/{a,..}/*' })).isError).toBe(true);
  });

  it('says when the path does not exist or is a file', async () => {
    expect(textOf(await glob({ pattern: '*', path: `${dir}/nope` }))).toContain('no such file or directory');
    expect(textOf(await glob({ pattern: '*', path: `${dir}/top.ts` }))).toContain('is a file, not a directory');
  });

  it('rejects malformed input with a clear error', async () => {
    for (const [input, message] of [
      [{}, '"pattern" is required'],
      [{ pattern: 3 }, '"pattern" must be a string'],
      [{ pattern: '*', path: false }, '"path" must be a string'],
      [{ pattern: '/workspace/*', path: '/workspace' }, 'not both'],
      [{ pattern: '[z-a]' }, 'invalid character class'],
      [{ pattern: '*', recursive: true }, 'unknown field "recursive"'],
    ] as const) {
      const result = await glob(input);
      expect(result.isError, JSON.stringify(input)).toBe(true);
      expect(textOf(result)).toContain(message);
    }
  });
});
