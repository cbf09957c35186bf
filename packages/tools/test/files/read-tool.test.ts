import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTool, type ToolResult } from '../../src/index.js';
import { openTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { scratchDir, textOf } from '../support/tool-text.js';

let box: TestSandbox;
let dir: string;
beforeAll(async () => {
  box = await openTestSandbox('read');
  dir = scratchDir('read');
  const write = (name: string, data: string | Uint8Array) => box.sandbox.writeFile(`${dir}/${name}`, data);
  await write('three.txt', 'one\ntwo\nthree\n');
  await write('crlf.txt', 'alpha\r\nbeta\r\n');
  await write('empty.txt', '');
  await write('unicode.txt', 'héllo\n日本語\n😀 emoji\n');
  await write('long-lines.txt', `${'x'.repeat(5000)}\nshort\n`);
  await write('many.txt', Array.from({ length: 2500 }, (_, i) => `line ${i + 1}`).join('\n'));
  await write('binary.bin', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0xff]));
  await write('image.png', PNG);
  await write('doc.pdf', new TextEncoder().encode('%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n'));
  await write('sub/nested.txt', 'nested\n');
  await box.sandbox.shell(`cd ${dir} && ln -s /etc/passwd passwd-link && ln -s three.txt inside-link && ln -s /etc etc-link && mkfifo a-fifo`);
});
afterAll(() => box?.close());

const PNG = new Uint8Array(Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cf00000301010018dd8db00000000049454e44ae426082', 'hex'));
const read = (input: unknown, options?: Parameters<typeof readTool>[2]): Promise<ToolResult> => readTool(input, box.sandbox, options);

describe('read', () => {
  it('returns numbered lines like cat -n', async () => {
    const result = await read({ file_path: `${dir}/three.txt` });
    expect(result).toEqual({ content: [{ type: 'text', text: '     1\tone\n     2\ttwo\n     3\tthree' }], isError: false });
  });

  it('resolves relative paths against /workspace', async () => {
    const relative = `${dir.slice('/workspace/'.length)}/sub/nested.txt`;
    expect(textOf(await read({ file_path: relative }))).toBe('     1\tnested');
  });

  it('selects lines with view_range, 1-based and inclusive, with end_line ≤ 0 meaning the end', async () => {
    const path = `${dir}/three.txt`;
    expect(textOf(await read({ file_path: path, view_range: [2, 2] }))).toBe('     2\ttwo');
    expect(textOf(await read({ file_path: path, view_range: [2, -1] }))).toBe('     2\ttwo\n     3\tthree');
    expect(textOf(await read({ file_path: path, view_range: [2, 0] }))).toBe('     2\ttwo\n     3\tthree');
    expect(textOf(await read({ file_path: path, view_range: [0, 1] }))).toBe('     1\tone');
    expect(textOf(await read({ file_path: path, view_range: [3, 99] }))).toBe('     3\tthree');
  });

  it('says when view_range starts past the end or ends before it starts', async () => {
    const past = await read({ file_path: `${dir}/three.txt`, view_range: [10, 12] });
    expect(past.isError).toBe(true);
    expect(textOf(past)).toContain('has 3 lines; view_range starts at line 10');
    const backwards = await read({ file_path: `${dir}/three.txt`, view_range: [3, 2] });
    expect(backwards.isError).toBe(true);
    expect(textOf(backwards)).toContain('ends before it starts');
  });

  it('shows a long file in pages and says which range to ask for next', async () => {
    const text = textOf(await read({ file_path: `${dir}/many.txt` }));
    const lines = text.split('\n');
    expect(lines[0]).toBe('     1\tline 1');
    expect(lines[1999]).toBe('  2000\tline 2000');
    expect(lines[2000]).toBe('[showing lines 1-2000 of 2500; to read more use view_range [2001, 2500]]');
    expect(textOf(await read({ file_path: `${dir}/many.txt`, view_range: [2001, -1] })).split('\n')).toHaveLength(500);
  });

  it('stops at the output limit even for an explicit range', async () => {
    const text = textOf(await read({ file_path: `${dir}/many.txt`, view_range: [1, -1] }, { maxOutputChars: 200 }));
    expect(text).toMatch(/\[showing lines 1-\d+ of 2500; to read more use view_range \[\d+, \d+\]\]$/);
    expect(text.length).toBeLessThan(300);
  });

  it('cuts over-long lines and marks them', async () => {
    const text = textOf(await read({ file_path: `${dir}/long-lines.txt` }));
    expect(text).toBe(`     1\t${'x'.repeat(2000)}… [line truncated: 3000 more characters]\n     2\tshort`);
  });

  it('shows CRLF files without the CRs and says they are there', async () => {
    expect(textOf(await read({ file_path: `${dir}/crlf.txt` }))).toBe(
      '     1\talpha\n     2\tbeta\n[this file has CRLF (\\r\\n) line endings; they are not shown above, and edit keeps them]',
    );
  });

  it('says a file is empty', async () => {
    expect(await read({ file_path: `${dir}/empty.txt` })).toEqual({ content: [{ type: 'text', text: `(${dir}/empty.txt is empty)` }], isError: false });
  });

  it('reads unicode text', async () => {
    expect(textOf(await read({ file_path: `${dir}/unicode.txt` }))).toBe('     1\théllo\n     2\t日本語\n     3\t😀 emoji');
  });

  it('returns an image as a base64 image block', async () => {
    const result = await read({ file_path: `${dir}/image.png` });
    expect(result.isError).toBe(false);
    expect(result.content[1]).toEqual({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: Buffer.from(PNG).toString('base64') } });
  });

  it('returns a PDF as a document block', async () => {
    const result = await read({ file_path: `${dir}/doc.pdf` });
    expect(result.content).toEqual([{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: expect.any(String) }, title: 'doc.pdf' }]);
  });

  it('refuses images and PDFs over their limits', async () => {
    expect(textOf(await read({ file_path: `${dir}/image.png` }, { maxImageBytes: 10 }))).toContain('larger than');
    expect((await read({ file_path: `${dir}/doc.pdf` }, { maxPdfBytes: 10 })).isError).toBe(true);
  });

  it('refuses binary files, directories and special files with a clear error', async () => {
    const binary = await read({ file_path: `${dir}/binary.bin` });
    expect(binary.isError).toBe(true);
    expect(textOf(binary)).toContain('is a binary file');
    const directory = await read({ file_path: `${dir}/sub` });
    expect(directory.isError).toBe(true);
    expect(textOf(directory)).toContain('is a directory');
    const fifo = await read({ file_path: `${dir}/a-fifo` });
    expect(fifo.isError).toBe(true);
    expect(textOf(fifo)).toContain('a-fifo');
  });

  it('says when a file does not exist', async () => {
    const result = await read({ file_path: `${dir}/missing.txt` });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(`read: ${dir}/missing.txt: no such file or directory`);
  });

  it('refuses files larger than the limit and suggests bash', async () => {
    const result = await read({ file_path: `${dir}/many.txt` }, { maxFileBytes: 100, maxImageBytes: 100, maxPdfBytes: 100 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('sed -n');
  });

  it('follows a symbolic link that stays inside the workspace', async () => {
    expect(textOf(await read({ file_path: `${dir}/inside-link` }))).toContain('one');
  });

  it('refuses paths that lead out of the workspace: symlinks, .., absolute system paths', async () => {
    for (const path of [`${dir}/passwd-link`, `${dir}/etc-link/passwd`, '../etc/passwd', `${dir}/../../etc/passwd`, '/etc/passwd', '/proc/self/environ']) {
      const result = await read({ file_path: path });
      expect(result.isError, path).toBe(true);
      expect(textOf(result), path).toContain('outside');
      expect(textOf(result), path).not.toContain('root:');
    }
  });

  it('rejects malformed input with a clear error', async () => {
    for (const [input, message] of [
      [{}, '"file_path" is required'],
      [{ file_path: 7 }, '"file_path" must be a string'],
      [{ file_path: '' }, '"file_path" must not be empty'],
      [{ file_path: 'a', view_range: [1] }, 'array of 2 integers'],
      [{ file_path: 'a', view_range: '1-2' }, 'array of 2 integers'],
      [{ file_path: 'a', view_range: [1.5, 2] }, 'array of 2 integers'],
      [{ file_path: 'a', offset: 10 }, 'unknown field "offset"'],
    ] as const) {
      const result = await read(input);
      expect(result.isError, JSON.stringify(input)).toBe(true);
      expect(textOf(result)).toContain(message);
    }
  });
});
