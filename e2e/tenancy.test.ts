import type Anthropic from '@anthropic-ai/sdk';
import { APIError, AuthenticationError, BadRequestError, NotFoundError, PermissionDeniedError, toFile } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askForBash, collect, expectApiError, makeAgent, makeEnvironment } from './support/fixtures.js';
import { CONTROL_PLANE, startServer, type TestServer } from './support/server.js';

let server: TestServer;
/** Workspace A's resources, which workspace B must never reach. */
let a: { agent: string; environment: string; session: string; file: string; toolUse: string };
let snapshot: () => Promise<unknown>;

beforeAll(async () => {
  server = await startServer(CONTROL_PLANE);
  const client = server.a.client;
  const agent = await makeAgent(client);
  const environment = await makeEnvironment(client);
  const file = await client.beta.files.upload({ file: await toFile(Buffer.from('secret'), 'secret.txt', { type: 'text/plain' }) });
  const session = await client.beta.sessions.create({ agent: agent.id, environment_id: environment.id, resources: [{ type: 'file', file_id: file.id }] });
  const toolUse = await askForBash(server.runtime, session.id);
  a = { agent: agent.id, environment: environment.id, session: session.id, file: file.id, toolUse };
  snapshot = async () => ({
    agent: await client.beta.agents.retrieve(a.agent),
    versions: await collect(client.beta.agents.versions.list(a.agent)),
    environment: await client.beta.environments.retrieve(a.environment),
    session: { ...(await client.beta.sessions.retrieve(a.session)), stats: null },
    events: await collect(client.beta.sessions.events.list(a.session)),
    file: await client.beta.files.retrieveMetadata(a.file),
  });
});
afterAll(() => server.close());

const text = [{ type: 'text' as const, text: 'hi' }];

/** Every route that takes an id in its path, called by workspace B with workspace A's ids. */
function pathRoutes(b: Anthropic): Array<[string, () => Promise<unknown>]> {
  return [
    ['agents.retrieve', () => b.beta.agents.retrieve(a.agent)],
    ['agents.retrieve version', () => b.beta.agents.retrieve(a.agent, { version: 1 })],
    ['agents.update', () => b.beta.agents.update(a.agent, { version: 1, name: 'stolen' })],
    ['agents.archive', () => b.beta.agents.archive(a.agent)],
    ['agents.versions.list', () => b.beta.agents.versions.list(a.agent)],
    ['environments.retrieve', () => b.beta.environments.retrieve(a.environment)],
    ['environments.update', () => b.beta.environments.update(a.environment, { name: 'stolen' })],
    ['environments.archive', () => b.beta.environments.archive(a.environment)],
    ['environments.delete', () => b.beta.environments.delete(a.environment)],
    ['sessions.retrieve', () => b.beta.sessions.retrieve(a.session)],
    ['sessions.update', () => b.beta.sessions.update(a.session, { title: 'stolen' })],
    ['sessions.archive', () => b.beta.sessions.archive(a.session)],
    ['sessions.delete', () => b.beta.sessions.delete(a.session)],
    ['events.list', () => b.beta.sessions.events.list(a.session)],
    ['events.send', () => b.beta.sessions.events.send(a.session, { events: [{ type: 'user.message', content: text }] })],
    ['events.stream', () => b.beta.sessions.events.stream(a.session)],
    ['files.retrieveMetadata', () => b.beta.files.retrieveMetadata(a.file)],
    ['files.download', () => b.beta.files.download(a.file)],
    ['files.delete', () => b.beta.files.delete(a.file)],
  ];
}

describe('tenancy', () => {
  it("answers 404 to another workspace's id on every route, and changes nothing", async () => {
    const before = await snapshot();
    for (const [route, call] of pathRoutes(server.b.client)) {
      const error = await expectApiError(call(), NotFoundError, { status: 404, type: 'not_found_error' }).catch((failure: unknown) => {
        throw new Error(`${route}: ${String(failure)}`);
      });
      expect(error.apiMessage, route).not.toMatch(/workspace/i);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("treats another workspace's ids in bodies exactly like ids that do not exist", async () => {
    const b = server.b.client;
    const ownAgent = await makeAgent(b);
    const ownEnvironment = await makeEnvironment(b);
    const ownSession = await b.beta.sessions.create({ agent: ownAgent.id, environment_id: ownEnvironment.id });
    const missingLike = async (withForeign: (id: string) => Promise<unknown>, foreign: string, missing: string, kind: abstract new (...args: never[]) => APIError) => {
      const seen = await expectApiError(withForeign(foreign), kind, { status: kind === NotFoundError ? 404 : 400, type: kind === NotFoundError ? 'not_found_error' : 'invalid_request_error' });
      const absent = await expectApiError(withForeign(missing), kind, { status: seen.status!, type: seen.type! });
      expect(seen.apiMessage!.replace(foreign, 'ID')).toBe(absent.apiMessage!.replace(missing, 'ID'));
    };
    await missingLike((id) => b.beta.sessions.create({ agent: id, environment_id: ownEnvironment.id }), a.agent, 'agent_missing', NotFoundError);
    await missingLike((id) => b.beta.sessions.create({ agent: ownAgent.id, environment_id: id }), a.environment, 'env_missing', NotFoundError);
    await missingLike(
      (id) => b.beta.sessions.create({ agent: ownAgent.id, environment_id: ownEnvironment.id, resources: [{ type: 'file', file_id: id }] }),
      a.file,
      'file_missing',
      NotFoundError,
    );
    await missingLike((id) => makeAgent(b, { multiagent: { type: 'coordinator', agents: [id] } }), a.agent, 'agent_missing', BadRequestError);
    await missingLike(
      (id) => b.beta.sessions.events.send(ownSession.id, { events: [{ type: 'user.message', content: [{ type: 'image', source: { type: 'file', file_id: id } }] }] }),
      a.file,
      'file_missing',
      BadRequestError,
    );
    await missingLike(
      (id) => b.beta.sessions.events.send(ownSession.id, { events: [{ type: 'user.tool_confirmation', tool_use_id: id, result: 'allow' }] }),
      a.toolUse,
      'sevt_missing',
      BadRequestError,
    );
  });

  it("never lists another workspace's resources", async () => {
    const b = server.b.client;
    const ids = (items: Array<{ id: string }>) => items.map((item) => item.id);
    expect(ids(await collect(b.beta.agents.list({ include_archived: true })))).not.toContain(a.agent);
    expect(ids(await collect(b.beta.environments.list({ include_archived: true })))).not.toContain(a.environment);
    expect(ids(await collect(b.beta.sessions.list({ include_archived: true })))).not.toContain(a.session);
    expect(await collect(b.beta.sessions.list({ agent_id: a.agent }))).toEqual([]);
    expect(ids(await collect(b.beta.files.list()))).not.toContain(a.file);
    expect((await b.beta.files.list({ ids: [a.file] })).data).toEqual([]);
    expect(await collect(b.beta.files.list({ scope_id: a.session }))).toEqual([]);
  });

  it('answers 401 to a revoked key', async () => {
    const { key, record } = await server.runtime.auth.createKey({ workspace: server.a.workspaceId, name: 'short-lived' });
    const client = server.client(key);
    expect((await client.beta.agents.retrieve(a.agent)).id).toBe(a.agent);
    await server.runtime.auth.revokeKey(record.id);
    await expectApiError(client.beta.agents.retrieve(a.agent), AuthenticationError, { status: 401, type: 'authentication_error' });
    await expectApiError(client.beta.agents.list(), AuthenticationError, { status: 401, type: 'authentication_error' });
  });

  it('lets a key name its own workspace, and refuses another one with a 403', async () => {
    const own = await server.a.client.beta.agents.retrieve(a.agent, { workspace_id: server.a.workspaceId });
    expect(own.id).toBe(a.agent);
    await expectApiError(server.a.client.beta.agents.list({ workspace_id: server.b.workspaceId }), PermissionDeniedError, { status: 403, type: 'permission_error' });
  });

  it('lets the admin key act in the default workspace or the one named by anthropic-workspace-id', async () => {
    const admin = server.client(server.adminKey);
    const inDefault = await makeAgent(admin);
    await expectApiError(server.a.client.beta.agents.retrieve(inDefault.id), NotFoundError, { status: 404, type: 'not_found_error' });
    await expectApiError(admin.beta.agents.retrieve(a.agent), NotFoundError, { status: 404, type: 'not_found_error' });
    expect((await admin.beta.agents.retrieve(a.agent, { workspace_id: server.a.workspaceId })).id).toBe(a.agent);
    const forB = await admin.beta.agents.create({ name: 'made-by-admin', model: 'claude-sonnet-4-6', workspace_id: server.b.workspaceId });
    expect((await server.b.client.beta.agents.retrieve(forB.id)).name).toBe('made-by-admin');
    const viaHeader = server.client(server.adminKey, { defaultHeaders: { 'anthropic-workspace-id': server.b.workspaceId } });
    expect((await viaHeader.beta.agents.retrieve(forB.id)).id).toBe(forB.id);
    await expectApiError(admin.beta.agents.list({ workspace_id: 'wrkspc_nowhere' }), NotFoundError, { status: 404, type: 'not_found_error' });
  });
});
