import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTool } from '../../src/index.js';
import { openTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { scratchDir, textOf } from '../support/tool-text.js';

let box: TestSandbox;
let dir: string;
beforeAll(async () => {
  box = await openTestSandbox('write');
  dir = scratchDir('write');
  await box.sandbox.writeFile(`${dir}/existing.txt`, 'old content that is longer\n');
  await box.sandbox.shell(`cd ${dir} && ln -s /tmp tmp-link && ln -s /etc/hostname-not-there dangling-out && mkdir a-dir`);
});
afterAll(() => box?.close());

const contentOf = async (path: string) => new TextDecoder().decode(await box.sandbox.readFile(path));

describe('write', () => {
  it('creates a file and its missing parent directories', async () => {
    const result = await writeTool({ file_path: `${dir}/new/deep/file.txt`, content: 'hello\n' }, box.sandbox);
    expect(result).toEqual({ content: [{ type: 'text', text: `wrote 6 bytes to ${dir}/new/deep/file.txt` }], isError: false });
    expect(await contentOf(`${dir}/new/deep/file.txt`)).toBe('hello\n');
  });

  it('replaces the whole content of an existing file', async () => {
    await writeTool({ file_path: `${dir}/existing.txt`, content: 'short' }, box.sandbox);
    expect(await contentOf(`${dir}/existing.txt`)).toBe('short');
  });

  it('writes an empty file', async () => {
    expect((await writeTool({ file_path: `${dir}/empty.txt`, content: '' }, box.sandbox)).isError).toBe(false);
    expect(await contentOf(`${dir}/empty.txt`)).toBe('');
  });

  it('writes unicode as UTF-8 and counts bytes, not characters', async () => {
    const result = await writeTool({ file_path: `${dir}/u.txt`, content: 'é日😀' }, box.sandbox);
    expect(textOf(result)).toContain('wrote 9 bytes');
    expect(await contentOf(`${dir}/u.txt`)).toBe('é日😀');
  });

  it('resolves relative paths against /workspace', async () => {
    await writeTool({ file_path: `${dir.slice('/workspace/'.length)}/rel.txt`, content: 'rel' }, box.sandbox);
    expect(await contentOf(`${dir}/rel.txt`)).toBe('rel');
  });

  it('refuses to write over a directory', async () => {
    const result = await writeTool({ file_path: `${dir}/a-dir`, content: 'x' }, box.sandbox);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('a-dir');
  });

  it('refuses paths that lead out of the workspace', async () => {
    for (const path of [`${dir}/tmp-link/escaped.txt`, `${dir}/dangling-out`, '../escaped.txt', `${dir}/../../etc/escaped`, '/etc/escaped', '/usr/bin/escaped']) {
      const result = await writeTool({ file_path: path, content: 'x' }, box.sandbox);
      expect(result.isError, path).toBe(true);
      expect(textOf(result), path).toMatch(/outside|read-only/);
    }
    const check = await box.sandbox.shell('ls /tmp/escaped.txt /escaped.txt /etc/escaped 2>&1 | grep -c "No such file"');
    expect(check.output.trim()).toBe('3');
  });

  it('rejects malformed input with a clear error', async () => {
    for (const [input, message] of [
      [{ file_path: `${dir}/x` }, '"content" is required'],
      [{ file_path: `${dir}/x`, content: 12 }, '"content" must be a string'],
      [{ content: 'x' }, '"file_path" is required'],
      [{ file_path: `${dir}/x`, content: 'x', append: true }, 'unknown field "append"'],
    ] as const) {
      const result = await writeTool(input, box.sandbox);
      expect(result.isError, JSON.stringify(input)).toBe(true);
      expect(textOf(result)).toContain(message);
    }
  });
});
