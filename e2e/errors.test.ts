import type Anthropic from '@anthropic-ai/sdk';
import { AuthenticationError, BadRequestError, ConflictError, NotFoundError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badField, expectApiError, makeAgent, makeEnvironment, makeSession, markRunning } from './support/fixtures.js';
import { rawRequest } from './support/raw.js';
import { CONTROL_PLANE, startServer, type TestServer } from './support/server.js';

let server: TestServer;
let client: Anthropic;

beforeAll(async () => {
  server = await startServer(CONTROL_PLANE);
  client = server.a.client;
});
afterAll(() => server.close());

/** A client with the SDK's default retry policy (2 retries) that counts what it sends. */
function countingClient(): { client: Anthropic; sent: () => number } {
  let count = 0;
  const counting: typeof fetch = (input, init) => {
    count += 1;
    return fetch(input, init);
  };
  return { client: server.client(server.a.key, { maxRetries: 2, fetch: counting }), sent: () => count };
}

describe('the error envelope', () => {
  it('maps a 404 to NotFoundError with type, request id and request-id header', async () => {
    const error = await expectApiError(client.beta.agents.retrieve('agent_does_not_exist'), NotFoundError, { status: 404, type: 'not_found_error', message: 'agent_does_not_exist' });
    expect(error.error).toEqual({ type: 'error', error: { type: 'not_found_error', message: expect.any(String) }, request_id: error.requestID });
  });

  it('puts a request-id on successful responses too', async () => {
    const { data, response } = await client.beta.agents.list().withResponse();
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(Array.isArray(data.data)).toBe(true);
  });

  it('names the offending field of a nested body, with its full path', async () => {
    const tools = [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash' }, { name: 'read', permission_policy: { type: 'sometimes' } }] }];
    await expectApiError(makeAgent(client, { tools } as never), BadRequestError, badField('tools[0].configs[1].permission_policy.type'));
    await expectApiError(makeAgent(client, { model: { id: 'claude-opus-4-8', speed: 'ludicrous' } } as never), BadRequestError, badField('model.speed'));
    await expectApiError(makeAgent(client, { colour: 'blue' } as never), BadRequestError, badField('colour'));
    const { session } = await makeSession(client);
    await expectApiError(
      client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'x' }] }, { type: 'user.tool_confirmation', result: 'allow' } as never] }),
      BadRequestError,
      badField('events[1].tool_use_id'),
    );
  });

  it('answers malformed JSON and unknown routes in the envelope', async () => {
    const malformed = await rawRequest(server.url, { method: 'POST', path: '/v1/agents', key: server.a.key, body: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('JSON') }, request_id: malformed.headers.get('request-id') });
    const unknown = await rawRequest(server.url, { path: '/v1/teapots', key: server.a.key });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ type: 'error', error: { type: 'not_found_error' }, request_id: unknown.headers.get('request-id') });
  });
});

describe('retries', () => {
  it('sends a deterministic conflict only once even with maxRetries: 2 (x-should-retry: false)', async () => {
    const environment = await makeEnvironment(client);
    const agent = await makeAgent(client);
    await client.beta.agents.update(agent.id, { version: 1, description: 'moved on' });
    const { session } = await makeSession(client);
    await client.beta.sessions.archive(session.id);
    const conflicts: Array<(c: Anthropic) => Promise<unknown>> = [
      (c) => c.beta.environments.create({ name: environment.name }),
      (c) => c.beta.agents.update(agent.id, { version: 1, description: 'stale' }),
      (c) => c.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'late' }] }] }),
      (c) => c.beta.sessions.update(session.id, { title: 'late' }),
    ];
    for (const conflict of conflicts) {
      const counting = countingClient();
      const error = await expectApiError(conflict(counting.client), ConflictError, { status: 409, type: 'invalid_request_error' });
      expect(error.headers?.get('x-should-retry')).toBe('false');
      expect(counting.sent()).toBe(1);
    }
  });

  it('refuses to archive or delete a running session with a 400 (not 409), sent once', async () => {
    const { session } = await makeSession(client);
    await markRunning(server.runtime, session.id);
    for (const attempt of [(c: Anthropic) => c.beta.sessions.archive(session.id), (c: Anthropic) => c.beta.sessions.delete(session.id)]) {
      const counting = countingClient();
      await expectApiError(attempt(counting.client), BadRequestError, { status: 400, type: 'invalid_request_error', message: 'running' });
      expect(counting.sent()).toBe(1);
    }
  });
});

describe('transport leniency', () => {
  it('accepts bodyless POSTs with no content type', async () => {
    const agent = await makeAgent(client);
    const environment = await makeEnvironment(client);
    const { session } = await makeSession(client);
    // Empty updates first (they change nothing), then the archives.
    const paths = [`/v1/sessions/${session.id}`, `/v1/agents/${agent.id}`, `/v1/environments/${environment.id}`];
    paths.push(`/v1/agents/${agent.id}/archive`, `/v1/environments/${environment.id}/archive`, `/v1/sessions/${session.id}/archive`);
    for (const path of paths) {
      const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'x-api-key': server.a.key } });
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
    }
  });

  it('ignores ?beta=true on every route', async () => {
    const agent = await makeAgent(client);
    const environment = await makeEnvironment(client);
    const { session } = await makeSession(client);
    const key = server.a.key;
    const requests = [
      { path: '/v1/agents?beta=true' },
      { path: `/v1/agents/${agent.id}?beta=true` },
      { path: `/v1/agents/${agent.id}/versions?beta=true` },
      { path: `/v1/agents/${agent.id}?beta=true`, method: 'POST', body: { description: 'beta' } },
      { path: '/v1/agents?beta=true', method: 'POST', body: { name: 'b', model: 'claude-sonnet-4-6' } },
      { path: '/v1/environments?beta=true' },
      { path: `/v1/environments/${environment.id}?beta=true` },
      { path: '/v1/sessions?beta=true' },
      { path: `/v1/sessions/${session.id}?beta=true` },
      { path: `/v1/sessions/${session.id}/events?beta=true` },
      { path: `/v1/sessions/${session.id}/events?beta=true`, method: 'POST', body: { events: [{ type: 'user.message', content: [{ type: 'text', text: 'hi' }] }] } },
      { path: '/v1/files?beta=true' },
      { path: `/v1/agents/${agent.id}/archive?beta=true`, method: 'POST' },
      { path: `/v1/environments/${environment.id}/archive?beta=true`, method: 'POST' },
      { path: `/v1/sessions/${session.id}/archive?beta=true`, method: 'POST' },
    ];
    for (const request of requests) {
      const response = await rawRequest(server.url, { key, headers: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'managed-agents-2026-04-01' }, ...request });
      expect(response.status, `${request.method ?? 'GET'} ${request.path}`).toBe(200);
    }
    const stream = await fetch(`${server.url}/v1/sessions/${session.id}/events/stream?beta=true`, { headers: { 'x-api-key': key } });
    expect(stream.status).toBe(200);
    await stream.body?.cancel();
  });

  it('reads arrays as key[]=, repeated keys or key[0]=, and empty values as absent (spec 1.4)', async () => {
    const { session } = await makeSession(client);
    await client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'hi' }] }, { type: 'user.interrupt' }] });
    const types = async (query: string) => {
      const response = await rawRequest(server.url, { path: `/v1/sessions/${session.id}/events?${query}`, key: server.a.key });
      expect(response.status, query).toBe(200);
      return (response.body.data as Array<{ type: string }>).map((event) => event.type);
    };
    expect(await types('types%5B%5D=user.message&types%5B%5D=user.interrupt')).toEqual(['user.message', 'user.interrupt']);
    expect(await types('types=user.message&types=user.interrupt')).toEqual(['user.message', 'user.interrupt']);
    expect(await types('types=user.interrupt')).toEqual(['user.interrupt']);
    expect(await types('types%5B0%5D=user.message')).toEqual(['user.message']);
    expect(await types('page=&limit=&order=')).toEqual(['user.message', 'user.interrupt']);
    const sessions = await rawRequest(server.url, { path: '/v1/sessions?statuses=idle&include_archived=', key: server.a.key });
    expect(sessions.status).toBe(200);
    expect((sessions.body.data as Array<{ id: string }>).map((s) => s.id)).toContain(session.id);
  });

  it('accepts the key as Authorization: Bearer or x-api-key, preferring x-api-key', async () => {
    const bearer = await rawRequest(server.url, { path: '/v1/agents', headers: { authorization: `Bearer ${server.a.key}` } });
    expect(bearer.status).toBe(200);
    const apiKey = await rawRequest(server.url, { path: '/v1/agents', headers: { 'x-api-key': server.a.key } });
    expect(apiKey.status).toBe(200);
    const both = await rawRequest(server.url, { path: '/v1/agents', headers: { 'x-api-key': server.a.key, authorization: 'Bearer wrong' } });
    expect(both.status).toBe(200);
  });

  it('accepts any anthropic-version and unknown beta tokens', async () => {
    for (const version of ['2023-06-01', '2026-10-21', 'not-a-date', '']) {
      const response = await rawRequest(server.url, { path: '/v1/agents', key: server.a.key, headers: { 'anthropic-version': version, 'anthropic-beta': 'oauth-2025-04-20,made-up-1,managed-agents-2026-04-01' } });
      expect(response.status, version).toBe(200);
    }
    const agent = await server.client(server.a.key, { defaultHeaders: { 'anthropic-version': '1999-01-01' } }).beta.agents.create({ name: 'v', model: 'claude-sonnet-4-6' });
    expect(agent.type).toBe('agent');
  });

  it('answers 401 to a missing or unknown key', async () => {
    await expectApiError(server.client('lh_sk_not_a_key').beta.agents.list(), AuthenticationError, { status: 401, type: 'authentication_error' });
    const missing = await rawRequest(server.url, { path: '/v1/agents' });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ type: 'error', error: { type: 'authentication_error' }, request_id: missing.headers.get('request-id') });
  });
});
