import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searxngSearchProvider } from '../../src/index.js';
import { startServer, type LocalServer } from '../support/local-http.js';

/** Answers like a SearXNG instance with `json` in search.formats (the shape of its /search?format=json). */
let server: LocalServer;
let mode: 'ok' | 'forbidden' | 'broken' | 'html' | 'slow' = 'ok';
beforeAll(async () => {
  server = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/searxng/search') {
      res.writeHead(404).end();
      return;
    }
    if (mode === 'slow') return; // never answers
    if (mode === 'forbidden') {
      res.writeHead(403, { 'content-type': 'text/html' }).end('<h1>403 Forbidden</h1>');
      return;
    }
    if (mode === 'broken') {
      res.writeHead(500).end('boom');
      return;
    }
    if (mode === 'html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not json</html>');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        query: url.searchParams.get('q'),
        number_of_results: 0,
        results: [
          { url: 'https://docs.example.com/a', title: 'Doc A', content: 'About A', engine: 'duckduckgo', publishedDate: '2024-05-01T00:00:00' },
          { url: 'https://blog.test/b', title: '', content: '', engine: 'bing' },
          { title: 'no url' },
          { url: 42 },
        ],
        answers: [],
        suggestions: [],
        unresponsive_engines: [],
      }),
    );
  });
});
afterAll(() => server.close());

describe('searxngSearchProvider', () => {
  const provider = () => searxngSearchProvider({ baseUrl: `${server.url}/searxng`, language: 'en-US', safesearch: 1, categories: 'general' });

  it('asks /search with format=json and the configured parameters', async () => {
    mode = 'ok';
    await provider().search({ query: 'bubblewrap & seccomp', maxResults: 5, signal: AbortSignal.timeout(5000) });
    const asked = new URL(server.requests.at(-1) as string, 'http://localhost');
    expect(asked.pathname).toBe('/searxng/search');
    expect(Object.fromEntries(asked.searchParams)).toEqual({ q: 'bubblewrap & seccomp', format: 'json', pageno: '1', language: 'en-US', safesearch: '1', categories: 'general' });
  });

  it('maps results to hits and skips entries without a URL', async () => {
    mode = 'ok';
    const hits = await provider().search({ query: 'x', maxResults: 5, signal: AbortSignal.timeout(5000) });
    expect(hits).toEqual([
      { url: 'https://docs.example.com/a', title: 'Doc A', snippet: 'About A', publishedAt: '2024-05-01T00:00:00' },
      { url: 'https://blog.test/b', title: 'https://blog.test/b', snippet: undefined, publishedAt: undefined },
    ]);
  });

  it('explains a 403: the instance does not allow the JSON format', async () => {
    mode = 'forbidden';
    await expect(provider().search({ query: 'x', maxResults: 5, signal: AbortSignal.timeout(5000) })).rejects.toThrow(/search\.formats/);
  });

  it('reports other failures and answers that are not JSON', async () => {
    mode = 'broken';
    await expect(provider().search({ query: 'x', maxResults: 5, signal: AbortSignal.timeout(5000) })).rejects.toThrow(/HTTP status 500/);
    mode = 'html';
    await expect(provider().search({ query: 'x', maxResults: 5, signal: AbortSignal.timeout(5000) })).rejects.toThrow(/did not answer with JSON/);
  });

  it('abandons the request when its signal aborts', async () => {
    mode = 'slow';
    const controller = new AbortController();
    const pending = provider().search({ query: 'x', maxResults: 5, signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toThrow();
  });
});
