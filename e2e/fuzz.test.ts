import { toFile } from '@anthropic-ai/sdk';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { askForBash, callCustomTool, makeAgent, makeEnvironment, uniqueName } from './support/fixtures.js';
import { arbitraryJson, arbitraryQuery, nearValid, toWire, type Json } from './support/mutations.js';
import { CONTROL_PLANE, startServer, type TestServer } from './support/server.js';

/*
 * Property: whatever a client sends to any route, the server never answers 5xx, every rejection
 * is the error envelope with its request id, and a rejected request stores nothing.
 */

let server: TestServer;
/** Ids the fuzzed routes act on, all in workspace A. */
const target = { agent: '', environment: '', session: '', file: '', toolUse: '', customToolUse: '' };
/** What workspace A holds, as last seen; a rejected request must leave it exactly so. */
let stored = '';

const UNIQUE = '__unique__';

// Each route gets a fresh server: what one route's accepted cases store (huge strings included)
// does not slow down the next one.
beforeEach(async () => {
  server = await startServer(CONTROL_PLANE);
  const client = server.a.client;
  target.agent = (await makeAgent(client)).id;
  target.environment = (await makeEnvironment(client)).id;
  target.file = (await client.beta.files.upload({ file: await toFile(Buffer.from('fuzz'), 'fuzz.txt', { type: 'text/plain' }) })).id;
  const session = await client.beta.sessions.create({
    agent: target.agent,
    environment_id: target.environment,
    budget: { type: 'limit', max_list_cost: { amount: '100000', currency: 'USD' } },
  });
  target.session = session.id;
  target.toolUse = await askForBash(server.runtime, session.id);
  target.customToolUse = await callCustomTool(server.runtime, session.id);
  stored = await snapshot();
});
afterEach(() => server.close());

/** Counts of everything workspace A stores, and the exact state of the fuzzed resources. */
async function snapshot(): Promise<string> {
  const { store } = server.runtime;
  const workspaceId = server.a.workspaceId;
  const counts: Record<string, number> = {};
  for (const kind of ['agent', 'agent_version', 'environment', 'file', 'session_secret']) {
    counts[kind] = (await store.documents.list(kind, { workspaceId, includeArchived: true, limit: 1_000_000 })).length;
  }
  const sessions = await store.sessions.list({ workspaceId, order: 'asc', limit: 1_000_000, includeArchived: true });
  const record = await store.sessions.get(target.session);
  return JSON.stringify({
    counts,
    sessions: sessions.length,
    events: sessions.reduce((sum, row) => sum + row.lastSeq, 0),
    agent: (await store.documents.get('agent', target.agent))?.body,
    environment: (await store.documents.get('environment', target.environment))?.body,
    session: record && { ...record.session, stats: null, usage: null },
  });
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function send(method: string, path: string, init: { body?: RequestInit['body']; type?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'x-api-key': server.a.key };
  if (init.type) headers['content-type'] = init.type;
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
  if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    await response.body?.cancel();
    return { status: response.status, headers: response.headers, text: '' };
  }
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The property itself: no 5xx, rejections in the envelope, nothing stored when rejected. */
async function checkAnswer(answer: Answer, writes: boolean): Promise<void> {
  expect(answer.status, answer.text.slice(0, 500)).toBeLessThan(500);
  expect(answer.headers.get('request-id')).toMatch(/^req_/);
  if (answer.status >= 400) {
    const body = JSON.parse(answer.text) as { type: string; error: { type: string; message: string }; request_id: string };
    expect(body).toEqual({ type: 'error', error: expect.objectContaining({ type: expect.any(String), message: expect.any(String) }), request_id: answer.headers.get('request-id') });
    expect(Object.keys(body).sort()).toEqual(['error', 'request_id', 'type']);
  }
  if (!writes) return;
  const now = await snapshot();
  if (answer.status >= 400) expect(now).toBe(stored);
  stored = now;
}

const text = (value: string): Json => [{ type: 'text', text: value }];

interface BodyRoute {
  name: string;
  path: () => string;
  /** Valid bodies of the route, as plain JSON. */
  examples: () => object[];
}

/** Every route that takes a JSON body, with valid examples to mutate. */
const bodyRoutes: BodyRoute[] = [
  {
    name: 'POST /v1/agents',
    path: () => '/v1/agents',
    examples: () => [
      { name: 'fuzzed', model: 'claude-sonnet-4-6' },
      {
        name: 'full',
        description: 'd',
        system: 's',
        model: { id: 'claude-opus-4-8', effort: 'high', speed: 'fast', inference_geo: 'eu' },
        tools: [
          { type: 'agent_toolset_20260401', default_config: { enabled: true, permission_policy: { type: 'always_ask' } }, configs: [{ name: 'read' }, { name: 'web_fetch', allowed_domains: ['a.com'], url_sources: { user_input: 'all' } }] },
          { type: 'mcp_toolset', mcp_server_name: 'docs', configs: [{ name: 'search', enabled: false }] },
          { type: 'custom', name: 'lookup', description: 'Look up', input_schema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } },
        ],
        mcp_servers: [{ type: 'url', name: 'docs', url: 'https://mcp.example.com' }],
        skills: [{ type: 'anthropic', skill_id: 'xlsx' }],
        metadata: { k: 'v' },
        multiagent: { type: 'multiagent_20261001', advisor: { type: 'enabled', model: 'claude-opus-4-8' }, subagents: { type: 'enabled', predefined_agents: [target.agent, { type: 'self' }] } },
        execution_identity: { type: 'aws_role', role_arn: 'arn:aws:iam::1:role/x' },
      },
      { name: 'team', model: 'm', multiagent: { type: 'coordinator', agents: [target.agent, { type: 'agent', id: target.agent, version: 1 }, { type: 'advisor', model: 'm' }] } },
    ],
  },
  {
    name: 'POST /v1/agents/{id}',
    path: () => `/v1/agents/${target.agent}`,
    examples: () => [
      { description: 'changed', metadata: { a: '1', b: null } },
      { version: 1, name: 'renamed', tools: null, model: { id: 'claude-haiku-4-5' } },
      { tools: [{ type: 'custom', name: 'lookup', description: 'Look up', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }] },
      { system: '', skills: [], mcp_servers: null, multiagent: null, execution_identity: null },
    ],
  },
  {
    name: 'POST /v1/environments',
    path: () => '/v1/environments',
    examples: () => [
      { name: UNIQUE },
      { name: UNIQUE, description: 'd', metadata: { a: 'b' }, scope: 'account', config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['a.com'], allow_mcp_servers: true, allow_package_managers: true }, packages: { pip: ['x==1'], apt: ['curl'] } } },
      { name: UNIQUE, config: { type: 'self_hosted' } },
    ],
  },
  {
    name: 'POST /v1/environments/{id}',
    path: () => `/v1/environments/${target.environment}`,
    examples: () => [
      { name: UNIQUE, description: null, metadata: { a: '', b: 'c' } },
      { config: { type: 'cloud', networking: { type: 'unrestricted' }, packages: { npm: ['left-pad'] } }, scope: null },
    ],
  },
  {
    name: 'POST /v1/sessions',
    path: () => '/v1/sessions',
    examples: () => [
      { agent: target.agent, environment_id: target.environment },
      {
        agent: { type: 'agent_with_overrides', id: target.agent, version: 1, model: 'claude-opus-4-8', system: null, tools: [{ type: 'agent_toolset_20260401' }], mcp_servers: [], skills: [{ type: 'custom', skill_id: 'skill_1', version: '2' }] },
        environment_id: target.environment,
        title: 't',
        metadata: { a: 'b' },
        resources: [
          { type: 'file', file_id: target.file, mount_path: '/data/f.txt' },
          { type: 'github_repository', url: 'https://github.com/a/b', authorization_token: 'tok', checkout: { type: 'commit', sha: 'abcdef1' } },
        ],
        initial_events: [
          { type: 'user.message', content: [{ type: 'text', text: 'hi' }, { type: 'image', source: { type: 'file', file_id: target.file } }] },
          { type: 'user.define_outcome', description: 'd', rubric: { type: 'file', file_id: target.file }, max_iterations: 2 },
        ],
        budget: { type: 'limit', max_list_cost: { amount: '2500', currency: 'USD' } },
      },
      { agent: { type: 'agent', id: target.agent, version: 1 }, environment_id: target.environment, vault_ids: [] },
    ],
  },
  {
    name: 'POST /v1/sessions/{id}',
    path: () => `/v1/sessions/${target.session}`,
    examples: () => [
      { title: 'renamed', metadata: { a: '1', gone: null } },
      { agent: { tools: [{ type: 'custom', name: 'x', description: '', input_schema: { type: 'object' } }], mcp_servers: [] } },
      { budget: { type: 'limit', max_list_cost: { amount: '200000', currency: 'USD' } } },
    ],
  },
  {
    name: 'POST /v1/sessions/{id}/events',
    path: () => `/v1/sessions/${target.session}/events`,
    examples: () => [
      { events: [{ type: 'user.message', content: text('hello') }, { type: 'system.message', content: text('be brief') }] },
      { events: [{ type: 'user.tool_confirmation', tool_use_id: target.toolUse, result: 'deny', deny_message: 'no' }, { type: 'user.interrupt', session_thread_id: null }] },
      { events: [{ type: 'user.custom_tool_result', custom_tool_use_id: target.customToolUse, content: [{ type: 'search_result', source: 's', title: 't', content: [{ type: 'text', text: 'x' }], citations: { enabled: false } }], is_error: false }] },
      { events: [{ type: 'user.define_outcome', description: 'd', rubric: { type: 'text', content: 'r' }, max_iterations: 5 }] },
      { events: [{ type: 'user.message', content: [{ type: 'document', source: { type: 'text', data: 'x', media_type: 'text/plain' }, title: 't', context: null }] }] },
    ],
  },
];

/** Every route that takes a query, with the keys it knows. */
const queryRoutes: Array<{ name: string; path: () => string; keys: string[] }> = [
  { name: 'GET /v1/agents', path: () => '/v1/agents', keys: ['limit', 'page', 'include_archived', 'created_at[gte]', 'created_at[lte]'] },
  { name: 'GET /v1/agents/{id}', path: () => `/v1/agents/${target.agent}`, keys: ['version'] },
  { name: 'GET /v1/agents/{id}/versions', path: () => `/v1/agents/${target.agent}/versions`, keys: ['limit', 'page'] },
  { name: 'GET /v1/environments', path: () => '/v1/environments', keys: ['limit', 'page', 'include_archived'] },
  {
    name: 'GET /v1/sessions',
    path: () => '/v1/sessions',
    keys: ['limit', 'page', 'order', 'agent_id', 'agent_version', 'statuses[]', 'include_archived', 'created_at[gt]', 'created_at[lte]', 'deployment_id', 'memory_store_id'],
  },
  { name: 'GET /v1/sessions/{id}/events', path: () => `/v1/sessions/${target.session}/events`, keys: ['limit', 'page', 'order', 'types[]', 'created_at[gt]', 'created_at[lt]'] },
  { name: 'GET /v1/sessions/{id}/events/stream', path: () => `/v1/sessions/${target.session}/events/stream`, keys: ['event_deltas[]', 'event_deltas'] },
  { name: 'GET /v1/files', path: () => '/v1/files', keys: ['limit', 'page', 'ids[]', 'scope_id'] },
];

const RUNS = 200;
/** Body cases write to SQLite (fsync per commit), so they get fewer runs than queries. */
const BODY_RUNS = 150;

describe('fuzzing every request body', () => {
  for (const route of bodyRoutes) {
    it(`${route.name}: never 5xx, rejections in the envelope, nothing stored when rejected`, async () => {
      const examples = route.examples() as Json[];
      const keys = [...new Set(examples.flatMap((example) => Object.keys(example as object)))];
      const body = fc.oneof(
        { arbitrary: nearValid(examples), weight: 6 },
        { arbitrary: arbitraryJson(keys), weight: 3 },
        { arbitrary: fc.string({ maxLength: 60 }).map((raw) => ({ raw })), weight: 1 },
      );
      await fc.assert(
        fc.asyncProperty(body, async (value) => {
          const raw = typeof value === 'object' && value !== null && 'raw' in value && Object.keys(value).length === 1 ? String(value.raw) : undefined;
          const json = raw ?? toWire(value).replaceAll(UNIQUE, uniqueName('fuzz'));
          await checkAnswer(await send('POST', route.path(), { body: json, type: 'application/json' }), true);
        }),
        { numRuns: BODY_RUNS },
      );
    });
  }
});

describe('fuzzing every query', () => {
  for (const route of queryRoutes) {
    it(`${route.name}: never 5xx, rejections in the envelope`, async () => {
      await fc.assert(
        fc.asyncProperty(arbitraryQuery(route.keys), async (query) => {
          await checkAnswer(await send('GET', `${route.path()}?${query}`), false);
        }),
        { numRuns: RUNS },
      );
    });
  }
});

describe('fuzzing uploads', () => {
  it('POST /v1/files: never 5xx, rejections in the envelope, nothing stored when rejected', async () => {
    const part = fc.record({
      name: fc.oneof(fc.constantFrom('file', 'expires_in_seconds', 'files[]'), fc.string({ maxLength: 10 })),
      filename: fc.option(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', '../x', 'a/b/c.txt', 'é.txt')), { nil: undefined }),
      value: fc.oneof(fc.string({ maxLength: 40 }), fc.integer({ min: -10, max: 10_000_000 }).map(String)),
    });
    const upload = fc.oneof(
      fc.array(part, { maxLength: 4 }).map((parts) => ({ parts })),
      fc.tuple(fc.string({ maxLength: 12 }), fc.uint8Array({ maxLength: 300 })).map(([boundary, bytes]) => ({ boundary, bytes })),
    );
    await fc.assert(
      fc.asyncProperty(upload, async (input) => {
        if ('parts' in input) {
          const form = new FormData();
          for (const p of input.parts) {
            if (p.filename === undefined) form.append(p.name, p.value);
            else form.append(p.name, new Blob([p.value]), p.filename);
          }
          await checkAnswer(await send('POST', '/v1/files', { body: form }), true);
        } else {
          const type = input.boundary === '' ? 'multipart/form-data' : `multipart/form-data; boundary=${input.boundary}`;
          await checkAnswer(await send('POST', '/v1/files', { body: input.bytes, type }), true);
        }
      }),
      { numRuns: BODY_RUNS },
    );
  });
});
