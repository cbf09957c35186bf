import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searxngSearchProvider, webSearchTool, type SearchProvider, type SearchQuery, type ToolResult } from '../../src/index.js';
import { startServer, type LocalServer } from '../support/local-http.js';

let server: LocalServer;
beforeAll(async () => {
  server = await startServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://localhost').searchParams.get('q') ?? '';
    const results =
      q === 'nothing'
        ? []
        : [
            { url: 'https://docs.example.com/guide', title: 'Guide', content: 'The   guide\nexcerpt.' },
            { url: 'https://docs.example.com/guide', title: 'Guide (duplicate)', content: 'dup' },
            { url: 'https://ads.tracker.test/x', title: 'Ad', content: 'buy' },
            { url: 'ftp://files.example.com/x', title: 'FTP', content: 'not web' },
            { url: 'https://other.test/page', title: 'Other', content: '', publishedDate: '2024-01-02' },
          ];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ query: q, results }));
  });
});
afterAll(() => server.close());

const provider = () => searxngSearchProvider({ baseUrl: server.url });
const textOf = (result: ToolResult) => result.content.map((block) => (block.type === 'text' ? block.text : '')).join('\n');

describe('web_search', () => {
  it('returns citable search_result blocks in the engine order, without duplicates or non-web links', async () => {
    const result = await webSearchTool({ query: 'guide' }, null, { provider: provider() });
    expect(result.isError).toBe(false);
    expect(result.content).toEqual([
      { type: 'search_result', source: 'https://docs.example.com/guide', title: 'Guide', content: [{ type: 'text', text: 'The guide excerpt.' }], citations: { enabled: true } },
      { type: 'search_result', source: 'https://ads.tracker.test/x', title: 'Ad', content: [{ type: 'text', text: 'buy' }], citations: { enabled: true } },
      { type: 'search_result', source: 'https://other.test/page', title: 'Other', content: [{ type: 'text', text: 'Published: 2024-01-02' }], citations: { enabled: true } },
    ]);
  });

  it('enforces allowed_domains and blocked_domains on the hits', async () => {
    const allowed = await webSearchTool({ query: 'guide' }, null, { provider: provider(), config: { allowed_domains: ['example.com'] } });
    expect(allowed.content.map((block) => (block.type === 'search_result' ? block.source : ''))).toEqual(['https://docs.example.com/guide']);
    const blocked = await webSearchTool({ query: 'guide' }, null, { provider: provider(), config: { blocked_domains: ['tracker.test'] } });
    expect(blocked.content.map((block) => (block.type === 'search_result' ? block.source : ''))).toEqual(['https://docs.example.com/guide', 'https://other.test/page']);
  });

  it('cuts to maxResults', async () => {
    const result = await webSearchTool({ query: 'guide' }, null, { provider: provider(), maxResults: 1 });
    expect(result.content).toHaveLength(1);
  });

  it('says when nothing was found, and why when the domain rules removed everything', async () => {
    expect(textOf(await webSearchTool({ query: 'nothing' }, null, { provider: provider() }))).toBe('No results for "nothing"');
    const filtered = await webSearchTool({ query: 'guide' }, null, { provider: provider(), config: { allowed_domains: ['nowhere.test'] } });
    expect(filtered.isError).toBe(false);
    expect(textOf(filtered)).toMatch(/No results for "guide" \(4 results were left out by the agent's allowed_domains/);
  });

  it('passes the domain hints and user location to the provider', async () => {
    let seen: SearchQuery | undefined;
    const recording: SearchProvider = { name: 'recording', search: async (query) => ((seen = query), []) };
    const location = { type: 'approximate' as const, city: 'Zurich', country: 'CH' };
    await webSearchTool({ query: 'q' }, null, { provider: recording, config: { allowed_domains: ['a.test'], user_location: location } });
    expect(seen).toMatchObject({ query: 'q', maxResults: 10, allowedDomains: ['a.test'], userLocation: location });
  });

  it('says clearly when no provider is configured', async () => {
    const result = await webSearchTool({ query: 'x' }, null, {});
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('no search provider is configured');
  });

  it('reports a failing provider and one that does not answer in time', async () => {
    const failing: SearchProvider = { name: 'failing', search: async () => Promise.reject(new Error('engine down')) };
    expect(textOf(await webSearchTool({ query: 'x' }, null, { provider: failing }))).toContain('engine down');
    const hanging: SearchProvider = { name: 'hanging', search: ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))) };
    const result = await webSearchTool({ query: 'x' }, null, { provider: hanging, timeoutMs: 50 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('did not answer within 50 ms');
  });

  it('rejects malformed input with a clear error', async () => {
    for (const [input, message] of [
      [{}, '"query" is required'],
      [{ query: ['a'] }, 'must be a string'],
      [{ query: '   ' }, 'must not be blank'],
      [{ query: 'x'.repeat(1001) }, 'at most 1000'],
      [{ query: 'x', count: 3 }, 'unknown field "count"'],
      [null, 'must be a JSON object'],
    ] as const) {
      const result = await webSearchTool(input, null, { provider: provider() });
      expect(result.isError, JSON.stringify(input)).toBe(true);
      expect(textOf(result)).toContain(message);
    }
  });
});
