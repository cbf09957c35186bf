import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webFetchTool, type Fetcher, type ToolResult } from '../../src/index.js';
import { loopbackFetcher, startServer, type LocalServer } from '../support/local-http.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

let server: LocalServer;
beforeAll(async () => {
  server = await startServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/page') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<html><head><title>Docs</title><script>evil()</script></head><body><h1>Intro</h1><p>Read <a href="/next">next</a>.</p></body></html>');
    } else if (path === '/plain') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('just text\n');
    } else if (path === '/json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"a": 1}');
    } else if (path === '/long') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('word '.repeat(10_000));
    } else if (path === '/redirect') {
      res.writeHead(302, { location: '/page' });
      res.end();
    } else if (path === '/pdf') {
      res.writeHead(200, { 'content-type': 'application/pdf' });
      res.end('%PDF-1.4\n%fake but typed\n');
    } else if (path === '/image') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG);
    } else if (path === '/zip') {
      res.writeHead(200, { 'content-type': 'application/zip' });
      res.end(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0]));
    } else if (path === '/untyped') {
      res.writeHead(200);
      res.end('<!DOCTYPE html><p>sniffed html</p>');
    } else if (path === '/empty') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body><script>only()</script></body></html>');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not here');
    }
  });
});
afterAll(() => server.close());

const textOf = (result: ToolResult) => result.content.map((block) => (block.type === 'text' ? block.text : `<${block.type}>`)).join('\n');
const fetchPage = (url: string, options: Parameters<typeof webFetchTool>[2] = {}) => webFetchTool({ url }, null, { fetcher: loopbackFetcher, ...options });

describe('web_fetch', () => {
  it('turns an HTML page into readable text with its title and absolute links', async () => {
    const result = await fetchPage(`${server.url}/page`);
    expect(result.isError).toBe(false);
    expect(textOf(result)).toBe(`URL: ${server.url}/page\nTitle: Docs\n\n# Intro\n\nRead [next](${server.url}/next).`);
  });

  it('returns plain text and JSON as they are', async () => {
    expect(textOf(await fetchPage(`${server.url}/plain`))).toBe(`URL: ${server.url}/plain\n\njust text`);
    expect(textOf(await fetchPage(`${server.url}/json`))).toContain('{"a": 1}');
  });

  it('says where a redirect led', async () => {
    const result = await fetchPage(`${server.url}/redirect`);
    expect(textOf(result)).toMatch(new RegExp(`^URL: ${server.url}/page \\(redirected from ${server.url}/redirect\\)`));
  });

  it('truncates to max_content_tokens and says so', async () => {
    const result = await fetchPage(`${server.url}/long`, { config: { max_content_tokens: 100 } });
    const text = textOf(result);
    expect(result.isError).toBe(false);
    expect(text).toContain('[content truncated');
    expect(text).toContain('max_content_tokens (100)');
    const body = text.split('\n\n')[1]?.split('\n[')[0] ?? '';
    expect(body.length).toBe(400);
  });

  it('stops reading at maxBytes and says so', async () => {
    const result = await fetchPage(`${server.url}/long`, { maxBytes: 1000 });
    expect(textOf(result)).toContain('[only the first 1000 bytes of the response were read]');
  });

  it('returns PDFs as documents and images as images', async () => {
    const pdf = await fetchPage(`${server.url}/pdf`);
    expect(pdf.content[0]).toMatchObject({ type: 'document', source: { type: 'base64', media_type: 'application/pdf' }, title: 'pdf' });
    const image = await fetchPage(`${server.url}/image`);
    expect(image.content[1]).toEqual({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG.toString('base64') } });
  });

  it('sniffs HTML served without a content type', async () => {
    expect(textOf(await fetchPage(`${server.url}/untyped`))).toContain('sniffed html');
  });

  it('says when a page has no readable text', async () => {
    expect(textOf(await fetchPage(`${server.url}/empty`))).toContain('(the page has no readable text)');
  });

  it('refuses content types it cannot show', async () => {
    const result = await fetchPage(`${server.url}/zip`);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('unsupported_content_type');
  });

  it('reports HTTP errors with their status', async () => {
    const result = await fetchPage(`${server.url}/missing`);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('HTTP status 404');
  });

  it('refuses domains outside allowed_domains without fetching', async () => {
    const before = server.requests.length;
    const result = await fetchPage(`${server.url}/page`, { config: { allowed_domains: ['example.com'] } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('url_not_allowed');
    expect(server.requests.length).toBe(before);
  });

  it('refuses blocked domains', async () => {
    const result = await fetchPage(`${server.url}/page`, { config: { blocked_domains: ['127.0.0.1'] } });
    expect(result.isError).toBe(true);
  });

  it('checks the address a redirect led to against the rules as well', async () => {
    const redirecting: Fetcher = async () => ({ status: 200, contentType: 'text/plain', body: new TextEncoder().encode('x'), finalUrl: 'https://evil.test/' });
    const result = await webFetchTool({ url: 'https://example.com/' }, null, { fetcher: redirecting, config: { allowed_domains: ['example.com'] } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('redirected to https://evil.test/');
  });

  it('reports a fetcher that refuses the address (the egress policy) as not accessible', async () => {
    const refusing: Fetcher = async () => {
      throw new Error('address 169.254.169.254 is not allowed');
    };
    const result = await webFetchTool({ url: 'http://169.254.169.254/' }, null, { fetcher: refusing });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('url_not_accessible');
    expect(textOf(result)).toContain('169.254.169.254 is not allowed');
  });

  it('gives up on a fetch that does not answer in time', async () => {
    const hanging: Fetcher = (_url, { signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const result = await webFetchTool({ url: 'https://slow.test/' }, null, { fetcher: hanging, timeoutMs: 50 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('did not answer within 50 ms');
  });

  it('stops when interrupted', async () => {
    const hanging: Fetcher = (_url, { signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const controller = new AbortController();
    const pending = webFetchTool({ url: 'https://slow.test/' }, null, { fetcher: hanging, signal: controller.signal });
    controller.abort();
    expect(textOf(await pending)).toContain('interrupted');
  });

  it('says clearly when no fetcher is configured', async () => {
    const result = await webFetchTool({ url: 'https://example.com/' }, null, {});
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('no fetcher is configured');
  });

  it('rejects malformed input with a clear error', async () => {
    for (const [input, message] of [
      [{}, '"url" is required'],
      [{ url: 42 }, '"url" must be a string'],
      [{ url: 'not a url' }, 'not a valid absolute URL'],
      [{ url: 'file:///etc/passwd' }, 'only http and https'],
      [{ url: 'https://user:pw@example.com/' }, 'user name or password'],
      [{ url: `https://example.com/${'a'.repeat(3000)}` }, 'at most 2048'],
      [{ url: 'https://example.com/', extra: 1 }, 'unknown field "extra"'],
      ['https://example.com/', 'must be a JSON object'],
    ] as const) {
      const result = await webFetchTool(input, null, { fetcher: loopbackFetcher });
      expect(result.isError, JSON.stringify(input)).toBe(true);
      expect(textOf(result)).toContain(message);
    }
  });
});
