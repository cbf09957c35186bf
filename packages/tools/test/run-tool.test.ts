import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOL_NAMES, isIdempotent, isToolName, runTool, webFetchConfigOf, webSearchConfigOf, type Fetcher, type SearchProvider } from '../src/index.js';
import { openTestSandbox, type TestSandbox } from './support/sandbox.js';
import { scratchDir, textOf } from './support/tool-text.js';

let box: TestSandbox;
beforeAll(async () => {
  box = await openTestSandbox('run-tool');
});
afterAll(() => box?.close());

const echoFetcher: Fetcher = async (url) => ({ status: 200, contentType: 'text/plain', body: new TextEncoder().encode(`fetched ${url}`), finalUrl: url });
const oneHit: SearchProvider = { name: 'one', search: async ({ query }) => [{ url: 'https://example.com/', title: query }] };

describe('runTool', () => {
  it('runs every sandbox tool by name', async () => {
    const dir = scratchDir('run-tool');
    const sandbox = box.sandbox;
    expect((await runTool('write', { file_path: `${dir}/a.txt`, content: 'one\ntwo\n' }, { sandbox })).isError).toBe(false);
    expect(textOf(await runTool('read', { file_path: `${dir}/a.txt` }, { sandbox }))).toBe('     1\tone\n     2\ttwo');
    expect((await runTool('edit', { file_path: `${dir}/a.txt`, old_string: 'two', new_string: 'three' }, { sandbox })).isError).toBe(false);
    expect(textOf(await runTool('grep', { pattern: 'three', path: dir }, { sandbox }))).toBe(`${dir}/a.txt:2:three`);
    expect(textOf(await runTool('glob', { pattern: '*.txt', path: dir }, { sandbox }))).toBe(`${dir}/a.txt`);
    expect(textOf(await runTool('bash', { command: `cat ${dir}/a.txt` }, { sandbox }))).toBe('one\nthree');
  });

  it('passes per-tool options through', async () => {
    const result = await runTool('bash', { command: 'sleep 30' }, { sandbox: box.sandbox, bash: { defaultTimeoutMs: 200 } });
    expect(textOf(result)).toContain('timed out after 200 ms');
  });

  it('runs the web tools without a sandbox, with their ports', async () => {
    const fetched = await runTool('web_fetch', { url: 'https://example.com/x' }, { webFetch: { fetcher: echoFetcher } });
    expect(textOf(fetched)).toContain('fetched https://example.com/x');
    const found = await runTool('web_search', { query: 'hello' }, { webSearch: { provider: oneHit } });
    expect(found.content[0]).toMatchObject({ type: 'search_result', title: 'hello' });
  });

  it("reads the web tools' domain rules from the agent's toolset config", async () => {
    const agentTools = [
      { type: 'custom', name: 'other' },
      {
        type: 'agent_toolset_20260401',
        configs: [
          { name: 'web_fetch', allowed_domains: ['docs.test'] },
          { name: 'web_search', blocked_domains: ['example.com'] },
        ],
      },
    ];
    const fetched = await runTool('web_fetch', { url: 'https://example.com/' }, { agentTools, webFetch: { fetcher: echoFetcher } });
    expect(fetched.isError).toBe(true);
    expect(textOf(fetched)).toContain('url_not_allowed');
    const found = await runTool('web_search', { query: 'q' }, { agentTools, webSearch: { provider: oneHit } });
    expect(textOf(found)).toContain('No results');
  });

  it('answers an unknown tool with an error result naming the real ones', async () => {
    const result = await runTool('shell', { command: 'ls' }, { sandbox: box.sandbox });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('bash, read, write, edit, glob, grep, web_fetch, web_search');
  });

  it('answers with an error result when a sandbox tool has no sandbox', async () => {
    for (const name of ['bash', 'read', 'write', 'edit', 'glob', 'grep']) {
      const result = await runTool(name, {}, {});
      expect(result.isError, name).toBe(true);
      expect(textOf(result), name).toContain('no sandbox');
    }
  });

  it('does not start a call that was already interrupted', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runTool('bash', { command: 'touch /workspace/should-not-exist' }, { sandbox: box.sandbox, signal: controller.signal });
    expect(result.isError).toBe(true);
    expect(await box.sandbox.stat('/workspace/should-not-exist')).toBeUndefined();
  });

  it('turns every failure of a closed sandbox into an error result, never an exception', async () => {
    const closing = await openTestSandbox('run-tool-closed');
    const sandbox = closing.sandbox;
    await sandbox.writeFile('/workspace/f.txt', 'x');
    await closing.close();
    const inputs: Record<string, unknown> = {
      bash: { command: 'echo hi' },
      read: { file_path: 'f.txt' },
      write: { file_path: 'g.txt', content: 'y' },
      edit: { file_path: 'f.txt', old_string: 'x', new_string: 'y' },
      glob: { pattern: '*' },
      grep: { pattern: 'x' },
    };
    for (const [name, input] of Object.entries(inputs)) {
      const result = await runTool(name, input, { sandbox });
      expect(result.isError, name).toBe(true);
      expect(textOf(result).length, name).toBeGreaterThan(0);
    }
  });
});

describe('isIdempotent', () => {
  it('is true for the tools that only look, false for those that change the workspace', () => {
    expect(TOOL_NAMES.filter(isIdempotent)).toEqual(['read', 'glob', 'grep', 'web_fetch', 'web_search']);
    expect(['bash', 'write', 'edit'].some(isIdempotent)).toBe(false);
    expect(isIdempotent('unknown')).toBe(false);
  });
});

describe('isToolName', () => {
  it('knows the eight built-in tools only', () => {
    expect(TOOL_NAMES.every(isToolName)).toBe(true);
    expect(isToolName('Bash')).toBe(false);
  });
});

describe('webFetchConfigOf / webSearchConfigOf', () => {
  it('read the settings of the toolset entry and ignore malformed ones', () => {
    const tools = [
      {
        type: 'agent_toolset_20260401',
        configs: [
          { name: 'web_fetch', blocked_domains: ['a.test'], max_content_tokens: 500 },
          { name: 'web_search', allowed_domains: 'not-a-list', user_location: { type: 'approximate', city: 'Oslo' } },
        ],
      },
    ];
    expect(webFetchConfigOf(tools)).toEqual({ allowed_domains: undefined, blocked_domains: ['a.test'], max_content_tokens: 500 });
    expect(webSearchConfigOf(tools)).toEqual({ allowed_domains: undefined, blocked_domains: undefined, user_location: { type: 'approximate', city: 'Oslo' } });
    expect(webFetchConfigOf([])).toEqual({ allowed_domains: undefined, blocked_domains: undefined, max_content_tokens: undefined });
  });
});
