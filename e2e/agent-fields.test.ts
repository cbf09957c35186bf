import type Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, makeAgent, makeEnvironment } from './support/fixtures.js';
import { CONTROL_PLANE, startServer, type TestServer } from './support/server.js';

type AgentParams = Anthropic.Beta.Agents.AgentCreateParams;

let server: TestServer;
let client: Anthropic;

beforeAll(async () => {
  server = await startServer(CONTROL_PLANE);
  client = server.a.client;
});
afterAll(() => server.close());

/** Every request field of an agent, in its most detailed form. */
const fullParams = (): AgentParams => ({
  name: 'Researcher',
  description: 'Finds and summarises sources',
  system: 'You are careful and cite what you read.',
  model: { id: 'claude-opus-4-8', effort: 'high', speed: 'fast', inference_geo: 'eu' },
  tools: [
    {
      type: 'agent_toolset_20260401',
      default_config: { enabled: true, permission_policy: { type: 'always_ask' } },
      configs: [
        { name: 'bash', permission_policy: { type: 'always_allow' } },
        { name: 'read', type: 'read', enabled: true },
        { name: 'write', enabled: false },
        {
          name: 'web_fetch',
          allowed_domains: ['example.com', 'docs.example.com'],
          max_content_tokens: 5000,
          url_sources: {
            client_tool_results: 'all',
            server_tool_results: { type: 'only', tools: [{ type: 'tool_reference', name: 'web_search' }] },
            user_input: { type: 'none' },
          },
        },
        {
          name: 'web_search',
          permission_policy: { type: 'auto' },
          blocked_domains: ['spam.example'],
          user_location: { type: 'approximate', city: 'Paris', country: 'FR', region: null, timezone: 'Europe/Paris' },
        },
      ],
    },
    {
      type: 'mcp_toolset',
      mcp_server_name: 'docs',
      default_config: { permission_policy: { type: 'auto' } },
      configs: [{ name: 'search_docs', enabled: false }, { name: 'read_doc', permission_policy: { type: 'always_allow' } }],
    },
    { type: 'mcp_toolset', mcp_server_name: 'tickets' },
    {
      type: 'custom',
      name: 'get_weather',
      description: 'Current weather of a city',
      input_schema: {
        type: 'object',
        properties: { city: { type: 'string', description: 'City name' }, units: { enum: ['c', 'f'] } },
        required: ['city'],
        additionalProperties: false,
      },
    },
  ],
  mcp_servers: [
    { type: 'url', name: 'docs', url: 'https://mcp.example.com/docs' },
    { type: 'url', name: 'tickets', url: 'https://mcp.example.com/tickets' },
  ],
  skills: [
    { type: 'anthropic', skill_id: 'xlsx' },
    { type: 'custom', skill_id: 'skill_0123456789', version: '3' },
  ],
  metadata: { team: 'research', tier: 'gold' },
  execution_identity: { type: 'aws_role', role_arn: 'arn:aws:iam::123456789012:role/agent' },
});

/** The agent the server must return for `fullParams()`: every default resolved, nothing lost. */
const fullExpected = {
  type: 'agent',
  name: 'Researcher',
  description: 'Finds and summarises sources',
  system: 'You are careful and cite what you read.',
  model: { id: 'claude-opus-4-8', effort: { type: 'high' }, speed: 'fast', inference_geo: 'eu' },
  tools: [
    {
      type: 'agent_toolset_20260401',
      default_config: { enabled: true, permission_policy: { type: 'always_ask' } },
      configs: [
        { type: 'bash', name: 'bash', enabled: true, permission_policy: { type: 'always_allow' } },
        { type: 'read', name: 'read', enabled: true, permission_policy: { type: 'always_ask' } },
        { type: 'write', name: 'write', enabled: false, permission_policy: { type: 'always_ask' } },
        {
          type: 'web_fetch',
          name: 'web_fetch',
          enabled: true,
          permission_policy: { type: 'always_ask' },
          allowed_domains: ['example.com', 'docs.example.com'],
          max_content_tokens: 5000,
          url_sources: {
            client_tool_results: { type: 'all' },
            server_tool_results: { type: 'only', tools: [{ type: 'tool_reference', name: 'web_search' }] },
            user_input: { type: 'none' },
          },
        },
        {
          type: 'web_search',
          name: 'web_search',
          enabled: true,
          permission_policy: { type: 'auto' },
          blocked_domains: ['spam.example'],
          user_location: { type: 'approximate', city: 'Paris', country: 'FR', region: null, timezone: 'Europe/Paris' },
        },
      ],
    },
    {
      type: 'mcp_toolset',
      mcp_server_name: 'docs',
      default_config: { enabled: true, permission_policy: { type: 'auto' } },
      configs: [
        { name: 'search_docs', enabled: false, permission_policy: { type: 'auto' } },
        { name: 'read_doc', enabled: true, permission_policy: { type: 'always_allow' } },
      ],
    },
    // An MCP toolset asks by default (spec 3.1.1, 5.5).
    { type: 'mcp_toolset', mcp_server_name: 'tickets', default_config: { enabled: true, permission_policy: { type: 'always_ask' } }, configs: [] },
    {
      type: 'custom',
      name: 'get_weather',
      description: 'Current weather of a city',
      input_schema: {
        type: 'object',
        properties: { city: { type: 'string', description: 'City name' }, units: { enum: ['c', 'f'] } },
        required: ['city'],
        additionalProperties: false,
      },
    },
  ],
  mcp_servers: [
    { type: 'url', name: 'docs', url: 'https://mcp.example.com/docs' },
    { type: 'url', name: 'tickets', url: 'https://mcp.example.com/tickets' },
  ],
  skills: [
    { type: 'anthropic', skill_id: 'xlsx', version: 'latest' },
    { type: 'custom', skill_id: 'skill_0123456789', version: '3' },
  ],
  multiagent: null,
  metadata: { team: 'research', tier: 'gold' },
  execution_identity: { type: 'aws_role', role_arn: 'arn:aws:iam::123456789012:role/agent' },
  archived_at: null,
};

describe('every field of an agent', () => {
  it('round-trips through create, retrieve, retrieve by version, the list and the versions list', async () => {
    const created = await client.beta.agents.create(fullParams());
    expect(created).toEqual({ ...fullExpected, id: created.id, version: 1, created_at: created.created_at, updated_at: created.updated_at });
    expect(created.id).toMatch(/^agent_/);
    expect(Date.parse(created.created_at)).not.toBeNaN();

    expect(await client.beta.agents.retrieve(created.id)).toEqual(created);
    expect(await client.beta.agents.retrieve(created.id, { version: 1 })).toEqual(created);
    const listed = (await collect(client.beta.agents.list())).find((agent) => agent.id === created.id);
    expect(listed).toEqual(created);
    expect(await collect(client.beta.agents.versions.list(created.id))).toEqual([created]);
  });

  it('reaches a session unchanged as its agent snapshot', async () => {
    const agent = await client.beta.agents.create(fullParams());
    const environment = await makeEnvironment(client);
    const session = await client.beta.sessions.create({ agent: agent.id, environment_id: environment.id });
    const { archived_at: _a, created_at: _c, updated_at: _u, metadata: _m, ...definition } = agent;
    expect(session.agent).toEqual(definition);
  });

  it('keeps the stored values when an update sends the same agent again', async () => {
    const created = await client.beta.agents.create(fullParams());
    const again = await client.beta.agents.update(created.id, { ...fullParams(), version: 1 });
    expect(again).toEqual(created);
  });

  it('stores the model as an object with the standard speed when given a bare id', async () => {
    const agent = await makeAgent(client, { model: 'claude-haiku-4-5' });
    expect(agent.model).toEqual({ id: 'claude-haiku-4-5', speed: 'standard' });
  });

  it('accepts effort as an object and defaults every unset built-in tool to enabled and always_allow', async () => {
    const agent = await makeAgent(client, {
      model: { id: 'claude-sonnet-4-6', effort: { type: 'max' } },
      tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'grep' }] }],
    });
    expect(agent.model).toEqual({ id: 'claude-sonnet-4-6', effort: { type: 'max' }, speed: 'standard' });
    expect(agent.tools).toEqual([
      {
        type: 'agent_toolset_20260401',
        default_config: { enabled: true, permission_policy: { type: 'always_allow' } },
        configs: [{ type: 'grep', name: 'grep', enabled: true, permission_policy: { type: 'always_allow' } }],
      },
    ]);
  });

  it('resolves a coordinator roster to pinned agent references', async () => {
    const helper = await makeAgent(client);
    const helperV2 = await client.beta.agents.update(helper.id, { version: 1, description: 'v2' });
    const reviewer = await makeAgent(client);
    const lead = await makeAgent(client, {
      multiagent: {
        type: 'coordinator',
        agents: [helper.id, { type: 'agent', id: reviewer.id, version: 1 }, { type: 'self' }, { type: 'advisor', model: 'claude-opus-4-8' }],
      },
    });
    const expected = {
      type: 'coordinator',
      agents: [
        { type: 'agent', id: helper.id, version: helperV2.version },
        { type: 'agent', id: reviewer.id, version: 1 },
        { type: 'agent', id: lead.id, version: 1 },
        { type: 'advisor', model: 'claude-opus-4-8' },
      ],
    };
    expect(lead.multiagent).toEqual(expected);
    expect((await client.beta.agents.retrieve(lead.id)).multiagent).toEqual(expected);
  });

  it('resolves a multiagent_20261001 configuration with every member present', async () => {
    const helper = await makeAgent(client);
    const lead = await makeAgent(client, {
      multiagent: {
        type: 'multiagent_20261001',
        advisor: { type: 'enabled', model: 'claude-opus-4-8' },
        subagents: { type: 'enabled', inline_agents: { type: 'disabled' }, predefined_agents: [helper.id, { type: 'self' }] },
      },
    });
    const expected = {
      type: 'multiagent_20261001',
      advisor: { type: 'enabled', model: 'claude-opus-4-8' },
      subagents: {
        type: 'enabled',
        inline_agents: { type: 'disabled' },
        predefined_agents: [
          { type: 'agent', id: helper.id, version: 1 },
          { type: 'agent', id: lead.id, version: 1 },
        ],
      },
      workflows: { type: 'enabled', inline_agents: { type: 'enabled' }, predefined_agents: [] },
    };
    expect(lead.multiagent).toEqual(expected);
    expect((await client.beta.agents.retrieve(lead.id)).multiagent).toEqual(expected);

    // An update merges level by level: omitted members stay, `null` resets to the default.
    const merged = await client.beta.agents.update(lead.id, {
      multiagent: { type: 'multiagent_20261001', advisor: null, workflows: { type: 'disabled' } },
    });
    expect(merged.version).toBe(2);
    expect(merged.multiagent).toEqual({
      ...expected,
      advisor: { type: 'disabled' },
      subagents: { ...expected.subagents, predefined_agents: [expected.subagents.predefined_agents[0], { type: 'agent', id: lead.id, version: 2 }] },
      workflows: { type: 'disabled' },
    });
    const cleared = await client.beta.agents.update(lead.id, { multiagent: null });
    expect(cleared.multiagent).toBeNull();
  });

  it('shows a roster in the session snapshot as full agent definitions', async () => {
    const helper = await makeAgent(client, { system: 'I help.' });
    const lead = await makeAgent(client, { multiagent: { type: 'coordinator', agents: [helper.id] } });
    const environment = await makeEnvironment(client);
    const session = await client.beta.sessions.create({ agent: lead.id, environment_id: environment.id });
    const roster = session.agent.multiagent as unknown as { type: string; agents: Array<Record<string, unknown>> };
    expect(roster.type).toBe('coordinator');
    expect(roster.agents).toHaveLength(1);
    expect(roster.agents[0]).toMatchObject({ type: 'agent', id: helper.id, version: 1, system: 'I help.', name: helper.name, tools: [] });
  });

  it('stores the service account identity when none is given', async () => {
    const agent = await makeAgent(client, { execution_identity: null });
    expect(agent.execution_identity).toEqual({ type: 'service_account' });
  });
});
