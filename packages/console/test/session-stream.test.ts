import type { SessionEvent } from '@longhand/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/api/client.js';
import { EventFeed } from '../src/state/event-feed.js';
import { SessionStream, type ConnectionState } from '../src/state/session-stream.js';
import { startConsoleServer, type ConsoleServer } from './support/console-server.js';

// The console's stream client in Node, against a real server that runs no sessions: the test
// plays the harness by appending events to the store, so it knows exactly what the log holds.
let server: ConsoleServer | undefined;
let stream: SessionStream | undefined;

afterEach(async () => {
  stream?.stop();
  await server?.close();
});

const text = (value: string) => [{ type: 'text' as const, text: value }];

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function setup() {
  server = await startConsoleServer({ consoleDir: '/nonexistent', script: () => ({ text: 'unused' }), runtime: { role: 'api' } });
  const agent = await server.api('POST', '/v1/agents', { name: 'a', model: 'claude-sonnet-4-6' });
  const environment = await server.api('POST', '/v1/environments', { name: 'e' });
  const session = await server.api('POST', '/v1/sessions', { agent: agent.id, environment_id: environment.id });
  const append = async (...bodies: Array<Record<string, unknown>>) => {
    await server!.runtime.store.events.append(session.id, bodies.map((body) => ({ body: body as never })));
  };
  const feed = new EventFeed((fn) => fn());
  const states: ConnectionState[] = [];
  stream = new SessionStream({ client: new ApiClient({ baseUrl: server.url, apiKey: server.key }), sessionId: session.id, feed, onState: (state) => states.push(state), retryDelays: [50, 100] });
  const history = async () => ((await server!.api('GET', `/v1/sessions/${session.id}/events?limit=1000`)).data as SessionEvent[]).map((event) => event.id);
  return { session, append, feed, states, history, ids: () => feed.getSnapshot().events.map((event) => event.id) };
}

describe('SessionStream', () => {
  it('lists history once the stream is open, then follows it live', async () => {
    const { append, feed, states, history, ids } = await setup();
    await append({ type: 'agent.message', content: text('before') });
    stream!.start();
    await until(() => states.at(-1)?.phase === 'live', 'live');
    expect(ids()).toEqual(await history());
    await append({ type: 'agent.message', content: text('after') });
    await until(() => feed.size === 2, 'the live event');
    expect(ids()).toEqual(await history());
  });

  it('shows a user message sent while streaming once, with its processed copy replacing the queued one', async () => {
    const { session, feed, states, ids, history } = await setup();
    stream!.start();
    await until(() => states.at(-1)?.phase === 'live', 'live');
    const [echo] = (await server!.api('POST', `/v1/sessions/${session.id}/events`, { events: [{ type: 'user.message', content: text('hi') }] })).data as SessionEvent[];
    feed.add([echo!]);
    await server!.runtime.store.events.append(session.id, [{ processed: echo!.id } as never, { body: { type: 'session.status_running' } }]);
    await until(() => feed.size === 2 && feed.getSnapshot().events[0]!.processed_at !== null, 'the processed copy');
    expect(ids()).toEqual(await history());
  });

  it('recovers every event after a server restart, with none twice and history order kept', async () => {
    const { append, feed, states, history, ids } = await setup();
    await append({ type: 'session.status_running' }, { type: 'agent.message', content: text('one') });
    stream!.start();
    await until(() => states.at(-1)?.phase === 'live', 'live');
    await server!.restart({ downMs: 200 });
    // Written while the console was away: only the history listing can bring them back.
    await append({ type: 'agent.message', content: text('two') }, { type: 'agent.message', content: text('three') });
    await until(() => states.some((state) => state.phase === 'reconnecting'), 'reconnecting');
    await until(() => states.at(-1)?.phase === 'live' && feed.size === 4, 'recovery');
    await append({ type: 'session.status_idle', stop_reason: { type: 'end_turn' }, stop_details: null });
    await until(() => feed.size === 5, 'the next live event');
    expect(ids()).toEqual(await history());
    expect(new Set(ids()).size).toBe(ids().length);
  });

  it('ends for good when the session is deleted or the key is refused', async () => {
    const { session, states } = await setup();
    stream!.start();
    await until(() => states.at(-1)?.phase === 'live', 'live');
    await server!.api('DELETE', `/v1/sessions/${session.id}`);
    await until(() => states.at(-1)?.phase === 'ended', 'the end');
    expect(states.at(-1)?.reason).toBe('deleted');

    const refused: ConnectionState[] = [];
    const other = new SessionStream({ client: new ApiClient({ baseUrl: server!.url, apiKey: 'wrong' }), sessionId: session.id, feed: new EventFeed(), onState: (state) => refused.push(state) });
    other.start();
    await until(() => refused.at(-1)?.phase === 'ended', 'the refusal');
    expect(refused.at(-1)?.reason).toBe('unauthorized');
  });
});
