import type Anthropic from '@anthropic-ai/sdk';
import { BadRequestError, ConflictError, NotFoundError, toFile } from '@anthropic-ai/sdk';
import { BetaEnvironmentNotFoundError } from '@anthropic-ai/sdk/resources/beta/environments/environments';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAsHarness, badField, collect, expectApiError, makeAgent, makeEnvironment, makeSession, markRunning } from './support/fixtures.js';
import { CONTROL_PLANE, startServer, type TestServer } from './support/server.js';

let server: TestServer;
let client: Anthropic;

beforeAll(async () => {
  server = await startServer(CONTROL_PLANE);
  client = server.a.client;
});
afterAll(() => server.close());

const budget = (amount: string) => ({ type: 'limit' as const, max_list_cost: { amount, currency: 'USD' as const } });
const text = (value: string) => [{ type: 'text' as const, text: value }];

async function history(sessionId: string) {
  return collect(client.beta.sessions.events.list(sessionId));
}

describe('POST /v1/sessions', () => {
  it('creates an idle session with every field at its default', async () => {
    const { agent, environment, session } = await makeSession(client);
    expect(session).toMatchObject({
      type: 'session',
      title: null,
      status: 'idle',
      environment_id: environment.id,
      resources: [],
      vault_ids: [],
      metadata: {},
      outcome_evaluations: [],
      budget: null,
      archived_at: null,
    });
    expect(session.id).toMatch(/^sesn_/);
    expect(session.agent).toMatchObject({ type: 'agent', id: agent.id, version: 1, name: agent.name, model: agent.model });
    expect(typeof session.usage).toBe('object');
    expect(typeof session.stats).toBe('object');
    // `stats.duration_seconds` grows with time; everything else reads back unchanged.
    expect(await client.beta.sessions.retrieve(session.id)).toEqual({ ...session, stats: expect.any(Object) });
  });

  it('takes the agent as an id (latest version) or as a pinned reference', async () => {
    const agent = await makeAgent(client, { system: 'one' });
    await client.beta.agents.update(agent.id, { version: 1, system: 'two' });
    const environment = await makeEnvironment(client);
    const latest = await client.beta.sessions.create({ agent: agent.id, environment_id: environment.id });
    expect(latest.agent).toMatchObject({ version: 2, system: 'two' });
    const pinned = await client.beta.sessions.create({ agent: { type: 'agent', id: agent.id, version: 1 }, environment_id: environment.id });
    expect(pinned.agent).toMatchObject({ version: 1, system: 'one' });
    const unpinned = await client.beta.sessions.create({ agent: { type: 'agent', id: agent.id }, environment_id: environment.id });
    expect(unpinned.agent.version).toBe(2);
  });

  it('applies agent_with_overrides to the snapshot and keeps the base id and version', async () => {
    const agent = await makeAgent(client, { system: 'base', tools: [{ type: 'agent_toolset_20260401' }] });
    const environment = await makeEnvironment(client);
    const session = await client.beta.sessions.create({
      environment_id: environment.id,
      agent: {
        type: 'agent_with_overrides',
        id: agent.id,
        version: 1,
        model: { id: 'claude-opus-4-8', effort: 'medium' },
        system: null,
        tools: [
          { type: 'agent_toolset_20260401', configs: [{ name: 'read' }] },
          { type: 'mcp_toolset', mcp_server_name: 'docs' },
        ],
        mcp_servers: [{ type: 'url', name: 'docs', url: 'https://mcp.example.com' }],
        skills: [{ type: 'anthropic', skill_id: 'pdf' }],
      },
    });
    expect(session.agent).toMatchObject({
      id: agent.id,
      version: 1,
      system: null,
      model: { id: 'claude-opus-4-8', effort: { type: 'medium' }, speed: 'standard' },
      mcp_servers: [{ type: 'url', name: 'docs', url: 'https://mcp.example.com' }],
      skills: [{ type: 'anthropic', skill_id: 'pdf', version: 'latest' }],
    });
    expect(session.agent.tools).toHaveLength(2);
    // The agent itself is untouched.
    expect(await client.beta.agents.retrieve(agent.id)).toEqual(agent);
    await expectApiError(
      client.beta.sessions.create({ environment_id: environment.id, agent: { type: 'agent_with_overrides', id: agent.id, model: null } as never }),
      BadRequestError,
      { ...badField('agent.model'), message: /agent\.model.*agent_model_required/ },
    );
  });

  it('mounts a session-scoped copy of an uploaded file and keeps repository tokens write-only', async () => {
    const uploaded = await client.beta.files.upload({ file: await toFile(Buffer.from('hello'), 'notes.txt', { type: 'text/plain' }) });
    const { session } = await makeSession(client, {
      resources: [
        { type: 'file', file_id: uploaded.id },
        { type: 'file', file_id: uploaded.id, mount_path: '/data/./notes.txt' },
        { type: 'github_repository', url: 'https://github.com/acme/widgets.git', authorization_token: 'ghp_secret', checkout: { type: 'branch', name: 'main' } },
      ],
    });
    const [first, second, repo] = session.resources;
    expect(first).toMatchObject({ type: 'file', mount_path: `/mnt/session/uploads/${uploaded.id}` });
    expect(second).toMatchObject({ type: 'file', mount_path: '/data/notes.txt' });
    for (const resource of [first, second]) {
      const copy = resource as { id: string; file_id: string };
      expect(copy.id).toMatch(/^sesrsc_/);
      expect(copy.file_id).not.toBe(uploaded.id);
      expect(await client.beta.files.retrieveMetadata(copy.file_id)).toMatchObject({ filename: 'notes.txt', size_bytes: 5, scope: { type: 'session', id: session.id } });
    }
    expect(repo).toEqual({
      type: 'github_repository',
      id: expect.stringMatching(/^sesrsc_/),
      url: 'https://github.com/acme/widgets.git',
      mount_path: '/workspace/widgets',
      checkout: { type: 'branch', name: 'main' },
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(JSON.stringify(await client.beta.sessions.retrieve(session.id))).not.toContain('ghp_secret');
    const scoped = await collect(client.beta.files.list({ scope_id: session.id }));
    expect(scoped.map((file) => file.id).sort()).toEqual([(first as { file_id: string }).file_id, (second as { file_id: string }).file_id].sort());
  });

  it('stores title, metadata and budget, and sends initial events in order', async () => {
    const { session } = await makeSession(client, {
      title: 'Quarterly report',
      metadata: { ticket: 'T-1' },
      budget: budget('2500'),
      initial_events: [
        { type: 'user.message', content: text('start') },
        { type: 'user.define_outcome', description: 'a report', rubric: { type: 'text', content: '- has a summary' } },
      ],
    });
    expect(session).toMatchObject({ title: 'Quarterly report', metadata: { ticket: 'T-1' }, budget: budget('2500') });
    expect(session.outcome_evaluations).toEqual([
      { type: 'outcome_evaluation', outcome_id: expect.stringMatching(/^outc_/), description: 'a report', iteration: 0, result: 'pending', explanation: null, completed_at: null },
    ]);
    const events = await history(session.id);
    expect(events.map((event) => event.type)).toEqual(['user.message', 'user.define_outcome']);
    expect(events[1]).toMatchObject({ outcome_id: session.outcome_evaluations[0]!.outcome_id, max_iterations: 3 });
  });

  it('rejects bad requests and stores nothing for them', async () => {
    const agent = await makeAgent(client);
    const environment = await makeEnvironment(client);
    const selfHosted = await makeEnvironment(client, { config: { type: 'self_hosted' } });
    const uploaded = await client.beta.files.upload({ file: await toFile(Buffer.from('x'), 'x.txt') });
    const sessionIds = async () => (await collect(client.beta.sessions.list({ include_archived: true }))).map((s) => s.id);
    const before = await sessionIds();
    const filesBefore = await collect(client.beta.files.list());
    const base = { agent: agent.id, environment_id: environment.id };
    await expectApiError(client.beta.sessions.create({ ...base, environment_id: 'env_missing' }), BetaEnvironmentNotFoundError, { status: 404, type: 'not_found_error' });
    // A missing agent is a missing resource, as a missing environment is.
    await expectApiError(client.beta.sessions.create({ ...base, agent: 'agent_missing' }), NotFoundError, { status: 404, type: 'not_found_error', message: 'agent_missing' });
    const unpriced = await makeAgent(client, { model: 'llama3.1:8b' });
    await expectApiError(
      client.beta.sessions.create({ ...base, agent: unpriced.id, budget: budget('100') }),
      BadRequestError,
      { ...badField('budget'), message: /model_not_budgetable/ },
    );
    await expectApiError(client.beta.sessions.create({ ...base, budget: budget('25.00') }), BadRequestError, badField('budget.max_list_cost.amount'));
    await expectApiError(client.beta.sessions.create({ ...base, resources: [{ type: 'file', file_id: 'file_missing' }] }), NotFoundError, { status: 404, type: 'not_found_error' });
    await expectApiError(
      client.beta.sessions.create({ ...base, environment_id: selfHosted.id, resources: [{ type: 'file', file_id: uploaded.id }] }),
      BadRequestError,
      badField('resources[0]'),
    );
    await expectApiError(
      client.beta.sessions.create({ ...base, resources: [{ type: 'file', file_id: uploaded.id }, { type: 'file', file_id: uploaded.id, mount_path: 'relative' }] }),
      BadRequestError,
      badField('resources[1].mount_path'),
    );
    await expectApiError(
      client.beta.sessions.create({ ...base, initial_events: [{ type: 'user.message', content: [{ type: 'redacted' }] as never }] }),
      BadRequestError,
      badField('content[0]'),
    );
    await expectApiError(
      client.beta.sessions.create({ ...base, initial_events: [{ type: 'user.define_outcome', description: 'd', rubric: { type: 'file', file_id: 'file_missing' } }] }),
      BadRequestError,
      badField('rubric.file_id'),
    );
    const outcome = { type: 'user.define_outcome' as const, description: 'd', rubric: { type: 'text' as const, content: 'r' } };
    await expectApiError(client.beta.sessions.create({ ...base, initial_events: [outcome, outcome] }), BadRequestError, badField('initial_events[1]'));
    const tooMany = Array.from({ length: 51 }, () => ({ type: 'user.message' as const, content: text('x') }));
    await expectApiError(client.beta.sessions.create({ ...base, initial_events: tooMany }), BadRequestError, badField('initial_events'));
    await expectApiError(client.beta.sessions.create({ ...base, vault_ids: ['vlt_missing'] }), NotFoundError, { status: 404, type: 'not_found_error' });
    expect(await sessionIds()).toEqual(before);
    expect(await collect(client.beta.files.list())).toEqual(filesBefore);
  });
});

describe('POST /v1/sessions/{id}', () => {
  it('changes title and metadata and records only what changed in session.updated', async () => {
    const { session } = await makeSession(client, { title: 'old', metadata: { a: '1', b: '2' } });
    const updated = await client.beta.sessions.update(session.id, { title: 'new', metadata: { a: null, c: '3', b: '2' } });
    expect(updated).toMatchObject({ title: 'new', metadata: { b: '2', c: '3' } });
    expect(await client.beta.sessions.retrieve(session.id)).toMatchObject({ title: 'new', metadata: { b: '2', c: '3' } });
    const same = await client.beta.sessions.update(session.id, { title: 'new' });
    expect(same.title).toBe('new');
    const events = await history(session.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({ id: expect.stringMatching(/^sevt_/), type: 'session.updated', title: 'new', metadata: { b: '2', c: '3' }, processed_at: expect.any(String) });
  });

  it('replaces the tools of an idle session without making an agent version', async () => {
    const { agent, session } = await makeSession(client);
    const tools = [{ type: 'custom' as const, name: 'lookup', description: 'Look up', input_schema: { type: 'object' as const } }];
    const updated = await client.beta.sessions.update(session.id, { agent: { tools } });
    expect(updated.agent).toMatchObject({ id: agent.id, version: 1, tools });
    const [event] = await history(session.id);
    expect(event).toMatchObject({ type: 'session.updated', agent: updated.agent });
    expect((await collect(client.beta.agents.versions.list(agent.id))).length).toBe(1);
  });

  it('refuses to change the tools of a running session with a 400, while its title may change', async () => {
    const { session } = await makeSession(client);
    await markRunning(server.runtime, session.id);
    await expectApiError(client.beta.sessions.update(session.id, { agent: { tools: [] } }), BadRequestError, { status: 400, type: 'invalid_request_error', message: 'running' });
    expect((await client.beta.sessions.update(session.id, { title: 'busy' })).title).toBe('busy');
  });

  it('applies the budget rules: replace, remove, never add', async () => {
    const { session } = await makeSession(client, { budget: budget('1000') });
    expect((await client.beta.sessions.update(session.id, { budget: budget('2000') })).budget).toEqual(budget('2000'));
    // The harness reports spending through session.usage.
    await appendAsHarness(server.runtime, session.id, [{ type: 'session.usage', usage: { list_cost: { amount: '1500', currency: 'USD' } } }]);
    await expectApiError(client.beta.sessions.update(session.id, { budget: budget('1500') }), BadRequestError, { status: 400, type: 'invalid_request_error', message: 'budget_not_raised' });
    expect((await client.beta.sessions.update(session.id, { budget: null })).budget).toBeNull();
    await expectApiError(client.beta.sessions.update(session.id, { budget: budget('5000') }), BadRequestError, { status: 400, type: 'invalid_request_error', message: 'budget_create_only' });
    const { session: plain } = await makeSession(client);
    await expectApiError(client.beta.sessions.update(plain.id, { budget: budget('5000') }), BadRequestError, { status: 400, type: 'invalid_request_error', message: 'budget_create_only' });
    const types = (await history(session.id)).map((event) => event.type);
    expect(types).toEqual(['session.updated', 'session.usage', 'session.updated']);
  });

  it('rejects vault_ids, unknown sessions, and changes to an archived session', async () => {
    const { session } = await makeSession(client);
    await expectApiError(client.beta.sessions.update(session.id, { vault_ids: ['vlt_x'] }), BadRequestError, badField('vault_ids'));
    await expectApiError(client.beta.sessions.update('sesn_missing', { title: 'x' }), NotFoundError, { status: 404, type: 'not_found_error' });
    await client.beta.sessions.archive(session.id);
    const error = await expectApiError(client.beta.sessions.update(session.id, { title: 'late' }), ConflictError, { status: 409, type: 'invalid_request_error', message: 'archived' });
    expect(error.headers?.get('x-should-retry')).toBe('false');
  });
});
