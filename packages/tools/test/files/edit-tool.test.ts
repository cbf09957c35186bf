import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editTool, type ToolResult } from '../../src/index.js';
import { openTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { scratchDir, textOf } from '../support/tool-text.js';

let box: TestSandbox;
beforeAll(async () => {
  box = await openTestSandbox('edit');
});
afterAll(() => box?.close());

async function fileWith(content: string | Uint8Array): Promise<string> {
  const path = `${scratchDir('edit')}/file.txt`;
  await box.sandbox.writeFile(path, content);
  return path;
}
const bytesOf = (path: string) => box.sandbox.readFile(path);
const contentOf = async (path: string) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(await bytesOf(path));
const edit = (input: unknown, options?: Parameters<typeof editTool>[2]): Promise<ToolResult> => editTool(input, box.sandbox, options);

describe('edit', () => {
  it('replaces a unique match and shows the edited lines', async () => {
    const path = await fileWith('a\nb\nc\nlet x = 1;\nd\ne\nf\ng\n');
    const result = await edit({ file_path: path, old_string: 'let x = 1;', new_string: 'const x = 1;' });
    expect(result.isError).toBe(false);
    expect(textOf(result)).toBe(`edited ${path}: replaced 1 occurrence. The file now reads:\n     1\ta\n     2\tb\n     3\tc\n     4\tconst x = 1;\n     5\td\n     6\te\n     7\tf`);
    expect(await contentOf(path)).toBe('a\nb\nc\nconst x = 1;\nd\ne\nf\ng\n');
  });

  it('changes nothing when old_string is missing, and says how to fix it', async () => {
    const path = await fileWith('keep me\n');
    const result = await edit({ file_path: path, old_string: 'absent', new_string: 'x' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('old_string was not found');
    expect(await contentOf(path)).toBe('keep me\n');
  });

  it('changes nothing when old_string is ambiguous, and says how many times it occurs', async () => {
    const path = await fileWith('dup\ndup\ndup\n');
    const result = await edit({ file_path: path, old_string: 'dup', new_string: 'one' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('occurs 3 times');
    expect(textOf(result)).toContain('replace_all');
    expect(await contentOf(path)).toBe('dup\ndup\ndup\n');
  });

  it('replaces every occurrence with replace_all', async () => {
    const path = await fileWith('dup\ndup\ndup\n');
    const result = await edit({ file_path: path, old_string: 'dup', new_string: 'one', replace_all: true });
    expect(textOf(result)).toContain('replaced 3 occurrences');
    expect(await contentOf(path)).toBe('one\none\none\n');
  });

  it('inserts new_string literally, $ patterns included', async () => {
    const path = await fileWith('price: X\n');
    await edit({ file_path: path, old_string: 'X', new_string: "$& $1 $$ $'" });
    expect(await contentOf(path)).toBe("price: $& $1 $$ $'\n");
  });

  it('can delete text with an empty new_string', async () => {
    const path = await fileWith('keep DELETE keep\n');
    await edit({ file_path: path, old_string: ' DELETE', new_string: '' });
    expect(await contentOf(path)).toBe('keep keep\n');
  });

  it('matches \\n against CRLF line endings and keeps them CRLF', async () => {
    const path = await fileWith('one\r\ntwo\r\nthree\r\n');
    const result = await edit({ file_path: path, old_string: 'one\ntwo', new_string: 'uno\ndos\nextra' });
    expect(result.isError).toBe(false);
    expect(await contentOf(path)).toBe('uno\r\ndos\r\nextra\r\nthree\r\n');
  });

  it('keeps a byte-order mark and the exact bytes around the change', async () => {
    const path = await fileWith(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('héllo wörld\n')]));
    await edit({ file_path: path, old_string: 'wörld', new_string: '世界' });
    expect([...(await bytesOf(path))]).toEqual([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('héllo 世界\n')]);
  });

  it('refuses files that are not UTF-8 text rather than corrupt them', async () => {
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]);
    const path = await fileWith(latin1);
    const result = await edit({ file_path: path, old_string: 'caf', new_string: 'CAF' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('not UTF-8 text');
    expect([...(await bytesOf(path))]).toEqual([...latin1]);
    const binary = await fileWith(new Uint8Array([0x61, 0x00, 0x62]));
    expect((await edit({ file_path: binary, old_string: 'a', new_string: 'b' })).isError).toBe(true);
  });

  it('refuses identical strings and an empty old_string', async () => {
    const path = await fileWith('x\n');
    expect(textOf(await edit({ file_path: path, old_string: 'x', new_string: 'x' }))).toContain('identical');
    expect(textOf(await edit({ file_path: path, old_string: '', new_string: 'y' }))).toContain('must not be empty');
  });

  it('says a missing file must be created with write', async () => {
    const result = await edit({ file_path: '/workspace/no/such/file.txt', old_string: 'a', new_string: 'b' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('no such file or directory; to create a file use write');
  });

  it('refuses files over the size limit', async () => {
    const path = await fileWith('x'.repeat(200));
    const result = await edit({ file_path: path, old_string: 'x', new_string: 'y', replace_all: true }, { maxFileBytes: 100 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('larger than 100 bytes');
  });

  it('refuses files reached through links or .. out of the workspace', async () => {
    const dir = scratchDir('edit-escape');
    await box.sandbox.shell(`mkdir -p ${dir} && ln -s /etc/passwd ${dir}/passwd`);
    for (const path of [`${dir}/passwd`, '../etc/passwd', '/etc/passwd']) {
      const result = await edit({ file_path: path, old_string: 'root', new_string: 'toor' });
      expect(result.isError, path).toBe(true);
      expect(textOf(result), path).toContain('outside');
    }
  });

  it('rejects malformed input with a clear error', async () => {
    for (const [input, message] of [
      [{ file_path: 'a', old_string: 'x' }, '"new_string" is required'],
      [{ file_path: 'a', new_string: 'x' }, '"old_string" is required'],
      [{ file_path: 'a', old_string: 1, new_string: 'x' }, '"old_string" must be a string'],
      [{ file_path: 'a', old_string: 'x', new_string: 'y', replace_all: 'true' }, '"replace_all" must be true or false'],
      [{ path: 'a', old_string: 'x', new_string: 'y' }, 'unknown field "path"'],
    ] as const) {
      const result = await edit(input);
      expect(result.isError, JSON.stringify(input)).toBe(true);
      expect(textOf(result)).toContain(message);
    }
  });
});
