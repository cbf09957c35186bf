import type Anthropic from '@anthropic-ai/sdk';
import { BadRequestError, ConflictError, NotFoundError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badField, collect, expectApiError, makeAgent, makeEnvironment } from './support/fixtures.js';
import { CONTROL_PLANE, startServer, type TestServer } from './support/server.js';

let server: TestServer;
let client: Anthropic;

beforeAll(async () => {
  server = await startServer(CONTROL_PLANE);
  client = server.a.client;
});
afterAll(() => server.close());

describe('POST /v1/agents', () => {
  it('creates version 1 with every optional field at its default', async () => {
    const agent = await client.beta.agents.create({ name: 'plain', model: 'claude-sonnet-4-6' });
    expect(agent).toEqual({
      type: 'agent',
      id: agent.id,
      version: 1,
      name: 'plain',
      description: null,
      system: null,
      model: { id: 'claude-sonnet-4-6', speed: 'standard' },
      tools: [],
      mcp_servers: [],
      skills: [],
      multiagent: null,
      execution_identity: { type: 'service_account' },
      metadata: {},
      archived_at: null,
      created_at: agent.created_at,
      updated_at: agent.created_at,
    });
  });

  it('rejects what the spec forbids, naming the field', async () => {
    const cases: Array<[Partial<Anthropic.Beta.Agents.AgentCreateParams>, string]> = [
      [{ name: '' }, 'name'],
      [{ model: '' }, 'model'],
      [{ mcp_servers: [{ type: 'url', name: 'unused', url: 'https://mcp.example.com' }] }, 'mcp_servers'],
      [{ tools: [{ type: 'mcp_toolset', mcp_server_name: 'missing' }] }, 'tools[0].mcp_server_name'],
      [{ skills: [{ type: 'anthropic', skill_id: 'xlsx' }] }, 'read'],
      [{ tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', allowed_domains: ['a.com'] } as never] }] }, 'allowed_domains'],
      [{ tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'web_fetch', allowed_domains: [] }] }] }, 'allowed_domains'],
      [
        { tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'web_fetch', allowed_domains: ['a.com'], blocked_domains: ['b.com'] }] }] },
        'blocked_domains',
      ],
      [{ tools: [{ type: 'custom', name: 'bad name', description: '', input_schema: { type: 'object' } }] }, 'tools[0].name'],
      [{ metadata: { ['k'.repeat(65)]: 'v' } }, 'metadata'],
      [{ multiagent: { type: 'coordinator', agents: ['agent_missing'] } }, 'multiagent.agents[0]'],
      [{ execution_identity: { type: 'aws_role', role_arn: '' } }, 'execution_identity.role_arn'],
    ];
    for (const [params, field] of cases) {
      await expectApiError(makeAgent(client, params), BadRequestError, badField(field));
    }
  });

  it('rejects rosters the spec forbids: unknown, archived, nested or repeated agents, two advisors, nobody to call', async () => {
    const helper = await makeAgent(client);
    const archived = await makeAgent(client);
    await client.beta.agents.archive(archived.id);
    const lead = await makeAgent(client, { multiagent: { type: 'coordinator', agents: [helper.id] } });
    const advisor = { type: 'advisor' as const, model: 'claude-opus-4-8' };
    const cases: Array<[Anthropic.Beta.Agents.AgentCreateParams['multiagent'], string]> = [
      [{ type: 'coordinator', agents: [archived.id] }, 'multiagent.agents[0]'],
      [{ type: 'coordinator', agents: [lead.id] }, 'multiagent.agents[0]'],
      [{ type: 'coordinator', agents: [helper.id, { type: 'agent', id: helper.id }] }, 'multiagent.agents'],
      [{ type: 'coordinator', agents: [advisor, advisor] }, 'multiagent.agents[1]'],
      [{ type: 'coordinator', agents: [] }, 'multiagent.agents'],
      [{ type: 'coordinator', agents: [{ type: 'agent', id: helper.id, version: 7 }] }, 'multiagent.agents[0]'],
      [{ type: 'multiagent_20261001', subagents: { type: 'enabled', inline_agents: { type: 'disabled' }, predefined_agents: [] } }, 'multiagent.subagents'],
    ];
    for (const [multiagent, field] of cases) {
      await expectApiError(makeAgent(client, { multiagent }), BadRequestError, badField(field));
    }
  });

  it('refuses to clear the tools of an agent that has skills', async () => {
    const agent = await makeAgent(client, { tools: [{ type: 'agent_toolset_20260401' }], skills: [{ type: 'anthropic', skill_id: 'pdf' }] });
    await expectApiError(client.beta.agents.update(agent.id, { tools: null }), BadRequestError, badField('read'));
    await expectApiError(
      client.beta.agents.update(agent.id, { tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'read', enabled: false }] }] }),
      BadRequestError,
      badField('read'),
    );
    expect((await client.beta.agents.update(agent.id, { tools: null, skills: null })).tools).toEqual([]);
  });

  it('rejects a metadata bag over the limits with invalid_metadata', async () => {
    const metadata = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    await expectApiError(makeAgent(client, { metadata }), BadRequestError, { ...badField('metadata'), errorCode: 'invalid_metadata' });
  });
});

describe('GET /v1/agents/{id}', () => {
  it('returns the latest version, or the one asked for', async () => {
    const v1 = await makeAgent(client, { description: 'first' });
    const v2 = await client.beta.agents.update(v1.id, { version: 1, description: 'second' });
    expect((await client.beta.agents.retrieve(v1.id)).description).toBe('second');
    expect(await client.beta.agents.retrieve(v1.id, { version: 2 })).toEqual(v2);
    const old = await client.beta.agents.retrieve(v1.id, { version: 1 });
    expect(old).toEqual(v1);
  });

  it('answers 404 for an unknown agent or version and 400 for a malformed version', async () => {
    const agent = await makeAgent(client);
    await expectApiError(client.beta.agents.retrieve('agent_missing'), NotFoundError, { status: 404, type: 'not_found_error' });
    await expectApiError(client.beta.agents.retrieve(agent.id, { version: 9 }), NotFoundError, { status: 404, type: 'not_found_error' });
    await expectApiError(client.beta.agents.retrieve(agent.id, { version: 0 }), BadRequestError, badField('version'));
  });
});

describe('POST /v1/agents/{id}', () => {
  it('creates a new version when the version guard matches', async () => {
    const agent = await makeAgent(client);
    const updated = await client.beta.agents.update(agent.id, { version: 1, name: 'renamed', system: 'Be brief.' });
    expect(updated).toMatchObject({ id: agent.id, version: 2, name: 'renamed', system: 'Be brief.', created_at: agent.created_at });
    expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(agent.updated_at));
  });

  it('refuses a stale version with a 409 the SDK is told not to retry', async () => {
    const agent = await makeAgent(client);
    await client.beta.agents.update(agent.id, { version: 1, description: 'changed' });
    const error = await expectApiError(client.beta.agents.update(agent.id, { version: 1, description: 'lost' }), ConflictError, {
      status: 409,
      type: 'invalid_request_error',
      message: 'version',
    });
    expect(error.headers?.get('x-should-retry')).toBe('false');
    expect((await client.beta.agents.retrieve(agent.id)).description).toBe('changed');
  });

  it('creates no version for an update that changes nothing', async () => {
    const agent = await makeAgent(client, { metadata: { a: '1' }, description: 'same' });
    const same = await client.beta.agents.update(agent.id, { version: 1, description: 'same', metadata: { a: '1' }, model: 'claude-sonnet-4-6' });
    expect(same).toEqual(agent);
    const empty = await client.beta.agents.update(agent.id, {});
    expect(empty).toEqual(agent);
    expect((await collect(client.beta.agents.versions.list(agent.id))).map((v) => v.version)).toEqual([1]);
  });

  it('patches metadata, clears text fields with "" or null and replaces arrays wholesale', async () => {
    const agent = await makeAgent(client, {
      description: 'd',
      system: 's',
      metadata: { keep: '1', drop: '2' },
      tools: [{ type: 'custom', name: 'one', description: '', input_schema: { type: 'object' } }],
    });
    const next = await client.beta.agents.update(agent.id, {
      description: '',
      system: null,
      metadata: { drop: null, add: '3' },
      tools: [{ type: 'custom', name: 'two', description: 'second', input_schema: { type: 'object' } }],
    });
    expect(next).toMatchObject({ version: 2, description: null, system: null, metadata: { keep: '1', add: '3' } });
    expect(next.tools.map((tool) => (tool as { name: string }).name)).toEqual(['two']);
    const cleared = await client.beta.agents.update(agent.id, { tools: null });
    expect(cleared).toMatchObject({ version: 3, tools: [] });
  });

  it('keeps the stored effort when a model update omits it, and clears inference_geo', async () => {
    const agent = await makeAgent(client, { model: { id: 'claude-opus-4-8', effort: 'low', inference_geo: 'us' } });
    const next = await client.beta.agents.update(agent.id, { model: { id: 'claude-opus-4-8', speed: 'fast' } });
    expect(next.model).toEqual({ id: 'claude-opus-4-8', effort: { type: 'low' }, speed: 'fast' });
  });

  it('rejects an empty name and an unknown agent', async () => {
    const agent = await makeAgent(client);
    await expectApiError(client.beta.agents.update(agent.id, { name: '' }), BadRequestError, badField('name'));
    await expectApiError(client.beta.agents.update('agent_missing', { name: 'x' }), NotFoundError, { status: 404, type: 'not_found_error' });
  });
});

describe('GET /v1/agents', () => {
  it('walks every agent once with small pages and ends with next_page null', async () => {
    const own = await startServer(CONTROL_PLANE);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 7; i += 1) ids.push((await makeAgent(own.a.client)).id);
      const listed = await collect(own.a.client.beta.agents.list({ limit: 2 }));
      expect(listed.map((agent) => agent.id).sort()).toEqual([...ids].sort());
      const first = await own.a.client.beta.agents.list({ limit: 7 });
      expect(first.data).toHaveLength(7);
      expect(first.next_page).toBeNull();
    } finally {
      await own.close();
    }
  });

  it('hides archived agents unless include_archived is set', async () => {
    const archived = await makeAgent(client);
    await client.beta.agents.archive(archived.id);
    const active = await makeAgent(client);
    const visible = (await collect(client.beta.agents.list())).map((agent) => agent.id);
    expect(visible).toContain(active.id);
    expect(visible).not.toContain(archived.id);
    const all = (await collect(client.beta.agents.list({ include_archived: true }))).map((agent) => agent.id);
    expect(all).toContain(archived.id);
  });

  it('filters on created_at bounds', async () => {
    const before = await makeAgent(client);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const after = await makeAgent(client);
    const since = (await collect(client.beta.agents.list({ 'created_at[gte]': after.created_at }))).map((agent) => agent.id);
    expect(since).toContain(after.id);
    expect(since).not.toContain(before.id);
    const until = (await collect(client.beta.agents.list({ 'created_at[lte]': before.created_at }))).map((agent) => agent.id);
    expect(until).toContain(before.id);
    expect(until).not.toContain(after.id);
    await expectApiError(client.beta.agents.list({ 'created_at[gte]': 'yesterday' }), BadRequestError, badField('created_at[gte]'));
  });
});

describe('POST /v1/agents/{id}/archive', () => {
  it('archives for good: read-only, not usable by new sessions, still readable', async () => {
    const agent = await makeAgent(client);
    const archived = await client.beta.agents.archive(agent.id);
    expect(archived.archived_at).not.toBeNull();
    expect(archived.version).toBe(1);
    expect(await client.beta.agents.archive(agent.id)).toEqual(archived);
    expect(await client.beta.agents.retrieve(agent.id)).toEqual(archived);
    await expectApiError(client.beta.agents.update(agent.id, { name: 'again' }), BadRequestError, { status: 400, type: 'invalid_request_error', message: 'archived' });
    const environment = await makeEnvironment(client);
    await expectApiError(client.beta.sessions.create({ agent: agent.id, environment_id: environment.id }), BadRequestError, badField('agent'));
  });

  it('answers 404 for an unknown agent', async () => {
    await expectApiError(client.beta.agents.archive('agent_missing'), NotFoundError, { status: 404, type: 'not_found_error' });
  });
});

describe('GET /v1/agents/{id}/versions', () => {
  it('lists one item per version, walked to the end with limit 1', async () => {
    const agent = await makeAgent(client);
    await client.beta.agents.update(agent.id, { version: 1, description: 'two' });
    await client.beta.agents.update(agent.id, { version: 2, description: 'three' });
    const versions = await collect(client.beta.agents.versions.list(agent.id, { limit: 1 }));
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2, 3]);
    expect(versions.find((v) => v.version === 2)?.description).toBe('two');
    expect(versions.every((v) => v.id === agent.id)).toBe(true);
  });

  it('answers 404 for an unknown agent', async () => {
    await expectApiError(client.beta.agents.versions.list('agent_missing'), NotFoundError, { status: 404, type: 'not_found_error' });
  });
});
