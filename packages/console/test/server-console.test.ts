import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, type Runtime } from '@longhand/runtime';
import { createApp } from '@longhand/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `longhand serve` serves the console's build at `/` next to the API; these tests call the app
// with `app.request()` against a small stand-in build, and against none at all.
let dataDir: string;
let dist: string;
let runtime: Runtime;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'longhand-console-serve-'));
  dist = join(dataDir, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/assets/app-1.js"></script>');
  await writeFile(join(dist, 'assets', 'app-1.js'), 'console.log("app")');
  await writeFile(join(dataDir, 'secret.txt'), 'not for the web');
  runtime = await createRuntime({ dataDir, adminKey: 'admin-key', role: 'api' });
});

afterAll(async () => {
  await runtime.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('serving the console', () => {
  it('serves index.html at / and for every client route, with a content security policy', async () => {
    const app = createApp(runtime, { console: { dir: dist } });
    for (const path of ['/', '/sessions', '/sessions/sesn_123/usage', '/agents/agent_1/edit']) {
      const response = await app.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(await response.text()).toContain('<title>console</title>');
    }
  });

  it('serves hashed assets with their type and a long cache life; HEAD has no body', async () => {
    const app = createApp(runtime, { console: { dir: dist } });
    const asset = await app.request('/assets/app-1.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await asset.text()).toBe('console.log("app")');
    const head = await app.request('/assets/app-1.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('never touches the API: /v1 paths keep their JSON answers and auth, /health its own', async () => {
    const app = createApp(runtime, { console: { dir: dist } });
    const unknown = await app.request('/v1/teapots', { headers: { 'x-api-key': 'admin-key' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const anonymous = await app.request('/v1/agents');
    expect(anonymous.status).toBe(401);
    const agents = await app.request('/v1/agents', { headers: { 'x-api-key': 'admin-key' } });
    expect(agents.status).toBe(200);
    expect(await agents.json()).toMatchObject({ data: [] });
    const health = await app.request('/health');
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('answers other methods and missing assets with the API 404, and serves nothing outside the build', async () => {
    const app = createApp(runtime, { console: { dir: dist } });
    const post = await app.request('/sessions', { method: 'POST' });
    expect(post.status).toBe(404);
    expect(post.headers.get('content-type')).toContain('application/json');
    const missing = await app.request('/assets/gone-2.js');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/json');
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const response = await app.request(path);
      expect(await response.text(), path).not.toContain('not for the web');
    }
  });

  it('explains how to build the console when there is no build, and the API still works', async () => {
    const app = createApp(runtime, { console: { dir: join(dataDir, 'never-built') } });
    const page = await app.request('/sessions');
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('npm run build:console');
    const agents = await app.request('/v1/agents', { headers: { 'x-api-key': 'admin-key' } });
    expect(agents.status).toBe(200);
  });

  it('serves no console at all when told not to', async () => {
    const app = createApp(runtime, { console: false });
    const root = await app.request('/');
    expect(root.status).toBe(404);
    expect(await root.json()).toMatchObject({ type: 'error' });
  });
});
