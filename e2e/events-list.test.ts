import type Anthropic from '@anthropic-ai/sdk';
import { BadRequestError, NotFoundError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAsHarness, badField, collect, expectApiError, makeSession } from './support/fixtures.js';
import { CONTROL_PLANE, startServer, type TestServer } from './support/server.js';

type Event = Anthropic.Beta.Sessions.BetaManagedAgentsSessionEvent;

let server: TestServer;
let client: Anthropic;
let sessionId: string;
/** The whole history, in the order it was written. */
let all: Event[];

const pause = () => new Promise((resolve) => setTimeout(resolve, 3));

beforeAll(async () => {
  server = await startServer(CONTROL_PLANE);
  client = server.a.client;
  sessionId = (await makeSession(client)).session.id;
  const text = (value: string) => [{ type: 'text' as const, text: value }];
  for (let turn = 0; turn < 4; turn += 1) {
    await client.beta.sessions.events.send(sessionId, { events: [{ type: 'user.message', content: text(`question ${turn}`) }] });
    await pause();
    // What the harness would append for a turn; there is no harness in these tests.
    await appendAsHarness(server.runtime, sessionId, [
      { type: 'session.status_running' },
      { type: 'span.model_request_start' },
      { type: 'agent.message', content: text(`answer ${turn}`) },
    ]);
    await pause();
    await appendAsHarness(server.runtime, sessionId, [{ type: 'session.status_idle', stop_reason: { type: 'end_turn' }, stop_details: null }]);
    await pause();
  }
  await client.beta.sessions.events.send(sessionId, { events: [{ type: 'user.interrupt' }] });
  all = (await client.beta.sessions.events.list(sessionId, { limit: 1000 })).data;
});
afterAll(() => server.close());

async function walk(params: Anthropic.Beta.Sessions.Events.EventListParams): Promise<{ ids: string[]; pages: number }> {
  let page = await client.beta.sessions.events.list(sessionId, params);
  const ids = page.data.map((event) => event.id);
  let pages = 1;
  while (page.hasNextPage()) {
    page = await page.getNextPage();
    ids.push(...page.data.map((event) => event.id));
    pages += 1;
  }
  expect(page.next_page).toBeNull();
  return { ids, pages };
}

const idsOf = (events: Event[]) => events.map((event) => event.id);

describe('GET /v1/sessions/{id}/events', () => {
  it('lists every persisted event oldest first on one page by default', async () => {
    expect(all).toHaveLength(4 * 5 + 1);
    expect(all[0]).toMatchObject({ type: 'user.message', processed_at: null });
    expect(all.at(-1)).toMatchObject({ type: 'user.interrupt' });
    const page = await client.beta.sessions.events.list(sessionId);
    expect(page.data).toEqual(all);
    expect(page.next_page).toBeNull();
  });

  for (const limit of [1, 2, 7]) {
    it(`walks the history to the end with limit ${limit} in both orders`, async () => {
      const ascending = await walk({ limit });
      expect(ascending.ids).toEqual(idsOf(all));
      expect(ascending.pages).toBe(Math.ceil(all.length / limit));
      const descending = await walk({ limit, order: 'desc' });
      expect(descending.ids).toEqual(idsOf(all).reverse());
    });
  }

  it('filters by types[], also across pages', async () => {
    const messages = await collect(client.beta.sessions.events.list(sessionId, { types: ['agent.message'], limit: 1 }));
    expect(messages.map((event) => event.type)).toEqual(['agent.message', 'agent.message', 'agent.message', 'agent.message']);
    const two = await walk({ types: ['user.message', 'session.status_idle'], limit: 3, order: 'desc' });
    expect(two.ids).toEqual(idsOf(all.filter((e) => e.type === 'user.message' || e.type === 'session.status_idle')).reverse());
    expect(await collect(client.beta.sessions.events.list(sessionId, { types: ['agent.thinking'] }))).toEqual([]);
  });

  it('filters on created_at[gt|gte|lt|lte], compared against processed_at', async () => {
    const processed = all.filter((event) => event.processed_at !== null);
    const middle = processed[Math.floor(processed.length / 2)]!.processed_at!;
    const expected = (keep: (at: string) => boolean) => idsOf(processed.filter((event) => keep(event.processed_at!)));
    expect((await walk({ 'created_at[gt]': middle, limit: 2 })).ids).toEqual(expected((at) => at > middle));
    expect((await walk({ 'created_at[gte]': middle, limit: 2 })).ids).toEqual(expected((at) => at >= middle));
    expect((await walk({ 'created_at[lt]': middle, limit: 2 })).ids).toEqual(expected((at) => at < middle));
    expect((await walk({ 'created_at[lte]': middle, limit: 2 })).ids).toEqual(expected((at) => at <= middle));
    const window = await walk({ 'created_at[gte]': middle, 'created_at[lte]': middle, types: ['agent.message', 'session.status_running', 'span.model_request_start'] });
    expect(window.ids).toEqual(
      idsOf(processed.filter((e) => e.processed_at === middle && ['agent.message', 'session.status_running', 'span.model_request_start'].includes(e.type))),
    );
  });

  it('rejects bad parameters, naming them', async () => {
    const list = (params: Record<string, unknown>) => client.beta.sessions.events.list(sessionId, params as never);
    await expectApiError(list({ order: 'newest' }), BadRequestError, badField('order'));
    await expectApiError(list({ limit: 1001 }), BadRequestError, badField('limit'));
    await expectApiError(list({ 'created_at[gt]': '2026-13-45' }), BadRequestError, badField('created_at[gt]'));
    await expectApiError(list({ page: 'garbage' }), BadRequestError, badField('page'));
    const asc = await client.beta.sessions.events.list(sessionId, { limit: 1 });
    await expectApiError(list({ order: 'desc', page: asc.next_page }), BadRequestError, badField('page'));
    await expectApiError(list({ surprise: 'yes' }), BadRequestError, badField('surprise'));
  });

  it('answers 404 for an unknown session', async () => {
    await expectApiError(client.beta.sessions.events.list('sesn_missing'), NotFoundError, { status: 404, type: 'not_found_error' });
  });
});
