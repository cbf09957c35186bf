import type Anthropic from '@anthropic-ai/sdk';
import { BadRequestError, NotFoundError, toFile } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badField, collect, expectApiError, makeAgent, makeEnvironment, makeSession, markRunning } from './support/fixtures.js';
import { CONTROL_PLANE, startServer, type TestServer } from './support/server.js';

type Session = Anthropic.Beta.Sessions.BetaManagedAgentsSession;

let server: TestServer;
let client: Anthropic;
/** Sessions of the listing fixture, oldest first. */
let sessions: Session[];
let agentOne: Anthropic.Beta.Agents.BetaManagedAgentsAgent;
let agentTwo: Anthropic.Beta.Agents.BetaManagedAgentsAgent;
let running: Session;
let archived: Session;

beforeAll(async () => {
  server = await startServer(CONTROL_PLANE);
  client = server.a.client;
  agentOne = await makeAgent(client);
  agentTwo = await makeAgent(client);
  const environment = await makeEnvironment(client);
  sessions = [];
  for (let i = 0; i < 9; i += 1) {
    if (i === 6) await client.beta.agents.update(agentOne.id, { description: 'second version' });
    const agent = i % 3 === 2 ? agentTwo.id : agentOne.id;
    sessions.push(await client.beta.sessions.create({ agent, environment_id: environment.id, title: `s${i}` }));
  }
  running = sessions[4]!;
  await markRunning(server.runtime, running.id);
  archived = sessions[7]!;
  await client.beta.sessions.archive(archived.id);
});
afterAll(() => server.close());

const ids = (list: Array<{ id: string }>) => list.map((item) => item.id);
const visible = () => sessions.filter((session) => session.id !== archived.id);

/** Walks pages forward with `next_page`, then back with `prev_page`, returning both walks. */
async function walkBothWays(order: 'asc' | 'desc', limit: number): Promise<{ forward: string[][]; backward: string[][] }> {
  const forward: string[][] = [];
  let page = await client.beta.sessions.list({ order, limit });
  expect(page.prev_page).toBeNull();
  forward.push(ids(page.data));
  while (page.next_page) {
    page = await client.beta.sessions.list({ order, limit, page: page.next_page });
    forward.push(ids(page.data));
  }
  const backward: string[][] = [];
  while (page.prev_page) {
    page = await client.beta.sessions.list({ order, limit, page: page.prev_page });
    backward.push(ids(page.data));
  }
  return { forward, backward };
}

describe('GET /v1/sessions', () => {
  it('lists newest first by default and walks to the end with the SDK iterator', async () => {
    const all = await collect(client.beta.sessions.list({ limit: 2 }));
    expect(ids(all)).toEqual(ids(visible()).reverse());
  });

  for (const order of ['asc', 'desc'] as const) {
    it(`pages forward to next_page null and back to prev_page null in ${order} order, visiting the same pages`, async () => {
      const expected = order === 'asc' ? ids(visible()) : ids(visible()).reverse();
      const { forward, backward } = await walkBothWays(order, 3);
      expect(forward.flat()).toEqual(expected);
      expect(forward.every((page) => page.length > 0 && page.length <= 3)).toBe(true);
      // Walking back from the last page visits every earlier page, in the same order.
      expect(backward).toEqual(forward.slice(0, -1).reverse());
    });
  }

  it('pages with limit 1 both ways', async () => {
    const { forward, backward } = await walkBothWays('asc', 1);
    expect(forward.flat()).toEqual(ids(visible()));
    expect(backward.flat()).toEqual(ids(visible()).reverse().slice(1));
  });

  it('filters by agent_id and agent_version', async () => {
    const ofTwo = await collect(client.beta.sessions.list({ agent_id: agentTwo.id, order: 'asc' }));
    expect(ids(ofTwo)).toEqual(ids(visible().filter((s) => s.agent.id === agentTwo.id)));
    const ofOneV2 = await collect(client.beta.sessions.list({ agent_id: agentOne.id, agent_version: 2, order: 'asc' }));
    expect(ids(ofOneV2)).toEqual(ids(visible().filter((s) => s.agent.id === agentOne.id && s.agent.version === 2)));
    expect(ofOneV2.length).toBeGreaterThan(0);
  });

  it('filters by statuses[] and include_archived', async () => {
    expect(ids(await collect(client.beta.sessions.list({ statuses: ['running'] })))).toEqual([running.id]);
    const idleOrRunning = await collect(client.beta.sessions.list({ statuses: ['idle', 'running'], order: 'asc' }));
    expect(ids(idleOrRunning)).toEqual(ids(visible()));
    expect(await collect(client.beta.sessions.list({ statuses: ['terminated'] }))).toEqual([]);
    const terminated = await collect(client.beta.sessions.list({ statuses: ['terminated'], include_archived: true }));
    expect(ids(terminated)).toEqual([archived.id]);
    const everything = await collect(client.beta.sessions.list({ include_archived: true, order: 'asc' }));
    expect(ids(everything)).toEqual(ids(sessions));
  });

  it('filters on created_at[gt|gte|lt|lte]', async () => {
    const middle = sessions[3]!;
    const pick = (keep: (s: Session) => boolean) => ids(visible().filter(keep));
    const list = async (query: Anthropic.Beta.Sessions.SessionListParams) => ids(await collect(client.beta.sessions.list({ ...query, order: 'asc' })));
    expect(await list({ 'created_at[gt]': middle.created_at })).toEqual(pick((s) => s.created_at > middle.created_at));
    expect(await list({ 'created_at[gte]': middle.created_at })).toEqual(pick((s) => s.created_at >= middle.created_at));
    expect(await list({ 'created_at[lt]': middle.created_at })).toEqual(pick((s) => s.created_at < middle.created_at));
    expect(await list({ 'created_at[lte]': middle.created_at })).toEqual(pick((s) => s.created_at <= middle.created_at));
    expect(await list({ 'created_at[gte]': middle.created_at, 'created_at[lte]': middle.created_at })).toContain(middle.id);
  });

  it('rejects bad parameters, naming them', async () => {
    await expectApiError(client.beta.sessions.list({ statuses: ['sleeping' as never] }), BadRequestError, badField('statuses'));
    await expectApiError(client.beta.sessions.list({ order: 'sideways' as never }), BadRequestError, badField('order'));
    await expectApiError(client.beta.sessions.list({ limit: 0 }), BadRequestError, badField('limit'));
    await expectApiError(client.beta.sessions.list({ page: 'not-a-cursor' }), BadRequestError, badField('page'));
    const asc = await client.beta.sessions.list({ order: 'asc', limit: 1 });
    await expectApiError(client.beta.sessions.list({ order: 'desc', page: asc.next_page! }), BadRequestError, badField('page'));
  });
});

describe('POST /v1/sessions/{id}/archive', () => {
  it('archives an idle session: terminated, read-only, listed only with include_archived', async () => {
    const { session } = await makeSession(client);
    const done = await client.beta.sessions.archive(session.id);
    expect(done).toMatchObject({ id: session.id, status: 'terminated' });
    expect(done.archived_at).not.toBeNull();
    const events = await collect(client.beta.sessions.events.list(session.id));
    expect(events.map((event) => event.type)).toEqual(['session.status_terminated']);
    expect((await client.beta.sessions.archive(session.id)).archived_at).toBe(done.archived_at);
  });

  it('refuses a running session with a 400, and an unknown one with a 404', async () => {
    const { session } = await makeSession(client);
    await markRunning(server.runtime, session.id);
    await expectApiError(client.beta.sessions.archive(session.id), BadRequestError, { status: 400, type: 'invalid_request_error', message: 'running' });
    expect((await client.beta.sessions.retrieve(session.id)).archived_at).toBeNull();
    await expectApiError(client.beta.sessions.archive('sesn_missing'), NotFoundError, { status: 404, type: 'not_found_error' });
  });
});

describe('DELETE /v1/sessions/{id}', () => {
  it('deletes the session, every event and its file copies for good', async () => {
    const uploaded = await client.beta.files.upload({ file: await toFile(Buffer.from('data'), 'data.csv', { type: 'text/csv' }) });
    const { session } = await makeSession(client, { resources: [{ type: 'file', file_id: uploaded.id }] });
    await client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'hi' }] }] });
    const copyId = (session.resources[0] as { file_id: string }).file_id;

    expect(await client.beta.sessions.delete(session.id)).toEqual({ id: session.id, type: 'session_deleted' });
    await expectApiError(client.beta.sessions.retrieve(session.id), NotFoundError, { status: 404, type: 'not_found_error' });
    await expectApiError(client.beta.sessions.events.list(session.id), NotFoundError, { status: 404, type: 'not_found_error' });
    await expectApiError(client.beta.sessions.delete(session.id), NotFoundError, { status: 404, type: 'not_found_error' });
    await expectApiError(client.beta.files.retrieveMetadata(copyId), NotFoundError, { status: 404, type: 'not_found_error' });
    expect(ids(await collect(client.beta.sessions.list({ include_archived: true })))).not.toContain(session.id);
    expect(await server.runtime.store.events.read(session.id, { withRedeliveries: true })).toEqual([]);
    expect(await server.runtime.store.sessions.get(session.id)).toBeUndefined();
    // The uploaded original is the user's and stays.
    expect((await client.beta.files.retrieveMetadata(uploaded.id)).id).toBe(uploaded.id);
  });

  it('deletes an archived session, and refuses a running one with a 400', async () => {
    const { session } = await makeSession(client);
    await client.beta.sessions.archive(session.id);
    expect((await client.beta.sessions.delete(session.id)).type).toBe('session_deleted');
    const { session: busy } = await makeSession(client);
    await markRunning(server.runtime, busy.id);
    await expectApiError(client.beta.sessions.delete(busy.id), BadRequestError, { status: 400, type: 'invalid_request_error', message: 'running' });
    expect((await client.beta.sessions.retrieve(busy.id)).id).toBe(busy.id);
  });
});
