import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grepTool, type GrepOptions, type ToolResult } from '../../src/index.js';
import { chooseGrepEngine, detectGrepPrograms, grepHasPcre } from '../../src/search/grep-engines.js';
import { openTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { scratchDir, textOf } from '../support/tool-text.js';

let box: TestSandbox;
let dir: string;
beforeAll(async () => {
  box = await openTestSandbox('grep');
  dir = scratchDir('grep');
  const write = (name: string, data: string | Uint8Array) => box.sandbox.writeFile(`${dir}/${name}`, data);
  await write('b.txt', 'alpha\nneedle one\ngamma\nNEEDLE upper\n');
  await write('a/z.py', 'def main():\n    return 42\n');
  await write('a/y.py', 'def helper(x):\n    pass\nclass Needle:\n    pass\n');
  await write('crlf.txt', 'first\r\nneedle crlf\r\n');
  await write('unicode.txt', 'naïve café\n日本語の needle\n');
  await write('.hidden/secret.txt', 'needle hidden\n');
  await write('.env', 'needle dotfile\n');
  await write('bin.dat', new Uint8Array([0x6e, 0x65, 0x65, 0x64, 0x6c, 0x65, 0x00, 0x01, 0x02]));
  await write('long.txt', `${'needle '.repeat(1000)}\n`);
  await write('dash.txt', 'a -flag here\n');
  await write('many/lots.txt', Array.from({ length: 5000 }, (_, i) => `match line ${i}`).join('\n'));
  const links = await box.sandbox.shell(`cd ${dir} && ln -s /etc etc-link && ln -s /etc/passwd passwd-link && ln -s a a-link`);
  if (links.exitCode !== 0) throw new Error(links.output);
});
afterAll(() => box?.close());

const ENGINES: Array<NonNullable<GrepOptions['engine']>> = ['ripgrep', 'grep-pcre', 'auto'];

describe.each(ENGINES)('grep (engine: %s)', (engine) => {
  const grep = (input: unknown, options: GrepOptions = {}): Promise<ToolResult> => grepTool(input, box.sandbox, { engine, ...options });
  const lines = async (input: unknown, options?: GrepOptions) => textOf(await grep(input, options)).split('\n');

  it('returns path:line:text for each matching line, files in path order', async () => {
    const result = await grep({ pattern: 'needle', path: dir });
    expect(result.isError).toBe(false);
    expect(textOf(result).split('\n').filter((line) => !line.includes('long.txt'))).toEqual([
      `${dir}/b.txt:2:needle one`,
      `${dir}/crlf.txt:2:needle crlf`,
      `${dir}/unicode.txt:2:日本語の needle`,
    ]);
  });

  it('understands regex classes, alternation and inline flags', async () => {
    expect(await lines({ pattern: 'def \\w+\\(', path: `${dir}/a` })).toEqual([`${dir}/a/y.py:1:def helper(x):`, `${dir}/a/z.py:1:def main():`]);
    expect(await lines({ pattern: 'return \\d+|class', path: `${dir}/a` })).toEqual([`${dir}/a/y.py:3:class Needle:`, `${dir}/a/z.py:2:    return 42`]);
    expect(await lines({ pattern: '(?i)needle upper', path: `${dir}/b.txt` })).toEqual([`${dir}/b.txt:4:NEEDLE upper`]);
  });

  it('searches a single file given as path', async () => {
    expect(await lines({ pattern: 'gamma', path: `${dir}/b.txt` })).toEqual([`${dir}/b.txt:3:gamma`]);
  });

  it('matches unicode text', async () => {
    expect(await lines({ pattern: 'caf.', path: dir })).toEqual([`${dir}/unicode.txt:1:naïve café`]);
  });

  it('takes a pattern that starts with a dash as a pattern', async () => {
    expect(await lines({ pattern: '-flag', path: dir })).toEqual([`${dir}/dash.txt:1:a -flag here`]);
  });

  it('skips hidden and binary files while walking, but searches a hidden path named explicitly', async () => {
    const all = textOf(await grep({ pattern: 'needle', path: dir }));
    expect(all).not.toContain('.hidden');
    expect(all).not.toContain('.env');
    expect(all).not.toContain('bin.dat');
    expect(await lines({ pattern: 'needle', path: `${dir}/.hidden` })).toEqual([`${dir}/.hidden/secret.txt:1:needle hidden`]);
    expect(await lines({ pattern: 'needle', path: `${dir}/.env` })).toEqual([`${dir}/.env:1:needle dotfile`]);
  });

  it('says when nothing matches, without failing', async () => {
    const result = await grep({ pattern: 'no-such-text-anywhere', path: dir });
    expect(result).toEqual({ content: [{ type: 'text', text: `No matches for "no-such-text-anywhere" in ${dir}` }], isError: false });
  });

  it('reports an invalid regex as an error', async () => {
    const result = await grep({ pattern: '(unclosed', path: dir });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^grep: .*\S/);
  });

  it('cuts long lines and caps the output with a notice', async () => {
    const long = await lines({ pattern: 'needle', path: `${dir}/long.txt` }, { maxLineChars: 50 });
    expect(long[0]?.length).toBeLessThan(200);
    const capped = textOf(await grep({ pattern: 'match line', path: `${dir}/many` }, { maxOutputChars: 2000 }));
    expect(capped.length).toBeLessThan(2300);
    expect(capped).toMatch(/\[output truncated: showing \d+ of (more than )?\d+ matching lines/);
  });

  it('does not follow links out of the workspace, and refuses them as the path', async () => {
    expect(textOf(await grep({ pattern: 'root', path: dir }))).not.toContain('root:x');
    for (const path of [`${dir}/etc-link`, `${dir}/passwd-link`, '/etc', '..', `${dir}/../../etc`]) {
      const result = await grep({ pattern: 'root', path });
      expect(result.isError, path).toBe(true);
      expect(textOf(result), path).toContain('outside');
    }
  });

  it('searches through a linked directory that stays inside the workspace', async () => {
    expect(await lines({ pattern: 'def main', path: `${dir}/a-link` })).toEqual([`${dir}/a/z.py:1:def main():`]);
  });

  it('says when the path does not exist', async () => {
    const result = await grep({ pattern: 'x', path: `${dir}/missing` });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('no such file or directory');
  });

  it('rejects malformed input with a clear error', async () => {
    for (const [input, message] of [
      [{}, '"pattern" is required'],
      [{ pattern: '' }, '"pattern" must not be empty'],
      [{ pattern: /x/ }, '"pattern" must be a string'],
      [{ pattern: 'x', glob: '*.ts' }, 'unknown field "glob"'],
    ] as const) {
      const result = await grep(input);
      expect(result.isError, JSON.stringify(input)).toBe(true);
      expect(textOf(result)).toContain(message);
    }
  });
});

describe('grep with ripgrep', () => {
  it('is the engine chosen for a single file when the sandbox has rg, never for a directory walk', async () => {
    const rg = await box.sandbox.exec(['rg', '--version']);
    expect(rg.exitCode).toBe(0);
    const programs = await detectGrepPrograms(box.sandbox);
    expect(programs).toEqual({ ripgrep: true, pcre: true });
    expect(chooseGrepEngine(programs, 'file')).toBe('ripgrep');
    expect(chooseGrepEngine(programs, 'directory')).toBe('grep-pcre');
    expect(chooseGrepEngine({ ripgrep: true, pcre: false }, 'directory')).toBe('grep-extended');
  });

  it('skips node_modules directories while walking, but searches one named as the path', async () => {
    const repo = scratchDir('grep-modules');
    await box.sandbox.writeFile(`${repo}/node_modules/dep/index.js`, 'needle in a dependency\n');
    await box.sandbox.writeFile(`${repo}/src/main.js`, 'needle in the code\n');
    expect(textOf(await grepTool({ pattern: 'needle', path: repo }, box.sandbox))).toBe(`${repo}/src/main.js:1:needle in the code`);
    expect(textOf(await grepTool({ pattern: 'needle', path: `${repo}/node_modules` }, box.sandbox))).toBe(`${repo}/node_modules/dep/index.js:1:needle in a dependency`);
  });

  it('honours .gitignore inside a git repository', async () => {
    const repo = scratchDir('grep-git');
    await box.sandbox.writeFile(`${repo}/.gitignore`, 'ignored.txt\n');
    await box.sandbox.writeFile(`${repo}/ignored.txt`, 'needle ignored\n');
    await box.sandbox.writeFile(`${repo}/kept.txt`, 'needle kept\n');
    await box.sandbox.shell(`mkdir -p ${repo}/.git`);
    expect(textOf(await grepTool({ pattern: 'needle', path: repo }, box.sandbox, { engine: 'ripgrep' }))).toBe(`${repo}/kept.txt:1:needle kept`);
  });
});

describe('grep with GNU grep', () => {
  it('uses Perl-compatible regexes when the sandbox grep has them (Debian\'s does)', async () => {
    expect(await grepHasPcre(box.sandbox)).toBe(true);
  });

  it('falls back to extended regexes with the same output format, order and skipping', async () => {
    const grep = (input: unknown) => grepTool(input, box.sandbox, { engine: 'grep-extended' });
    const result = textOf(await grep({ pattern: 'needle (one|crlf)', path: dir }));
    expect(result).toBe(`${dir}/b.txt:2:needle one\n${dir}/crlf.txt:2:needle crlf`);
    expect(textOf(await grep({ pattern: 'needle', path: `${dir}/.hidden` }))).toBe(`${dir}/.hidden/secret.txt:1:needle hidden`);
  });
});
