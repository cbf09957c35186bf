import type Anthropic from '@anthropic-ai/sdk';
import { BadRequestError, NotFoundError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { appendAsHarness, badField, collect, expectApiError, makeSession } from './support/fixtures.js';
import { sseReader, type SseFrame } from './support/raw.js';
import { CONTROL_PLANE, startServer, type TestServer } from './support/server.js';

let server: TestServer;
let client: Anthropic;

beforeAll(async () => {
  server = await startServer({ ...CONTROL_PLANE, heartbeatMs: 40 });
  client = server.a.client;
});
afterAll(() => server.close());

const text = (value: string) => [{ type: 'text' as const, text: value }];
const newSession = async () => (await makeSession(client)).session.id;
const historyIds = async (sessionId: string) => (await collect(client.beta.sessions.events.list(sessionId, { limit: 7 }))).map((e) => e.id);
const subscribed = () => (server.runtime.store as any).events.hub.sessionIds() as string[];

/** Reads `count` events from an SDK stream. */
async function take(iterator: AsyncIterator<{ type: string; id?: string }>, count: number): Promise<Array<{ type: string; id?: string }>> {
  const out: Array<{ type: string; id?: string }> = [];
  while (out.length < count) {
    const next = await iterator.next();
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

/** Sends user messages and appends harness events at once, interleaved; returns nothing. */
async function writeInterleaved(sessionId: string, rounds: number): Promise<void> {
  const writes: Array<Promise<unknown>> = [];
  for (let i = 0; i < rounds; i += 1) {
    writes.push(client.beta.sessions.events.send(sessionId, { events: [{ type: 'user.message', content: text(`m${i}`) }] }));
    // What the harness would append; there is no harness in these tests.
    writes.push(appendAsHarness(server.runtime, sessionId, [{ type: 'agent.message', content: text(`a${i}`) }, { type: 'agent.thinking' }]));
  }
  await Promise.all(writes);
}

describe('GET /v1/sessions/{id}/events/stream through the SDK', () => {
  it('delivers every event appended after it opened, in order, exactly once', async () => {
    const sessionId = await newSession();
    await client.beta.sessions.events.send(sessionId, { events: [{ type: 'user.message', content: text('before') }] });
    const before = await historyIds(sessionId);
    const stream = await client.beta.sessions.events.stream(sessionId);
    const iterator = stream[Symbol.asyncIterator]();
    await writeInterleaved(sessionId, 60);
    const seen = await take(iterator, 180);
    stream.controller.abort();
    const after = (await historyIds(sessionId)).filter((id) => !before.includes(id));
    expect(seen.map((event) => event.id)).toEqual(after);
    expect(new Set(seen.map((event) => event.id)).size).toBe(180);
  });

  it('ends when the session is archived, after session.status_terminated', async () => {
    const sessionId = await newSession();
    const stream = await client.beta.sessions.events.stream(sessionId);
    await client.beta.sessions.archive(sessionId);
    const events = await collect(stream);
    expect(events.map((event) => event.type)).toEqual(['session.status_terminated']);
  });

  it('delivers session.deleted when the session is deleted, then closes', async () => {
    const sessionId = await newSession();
    const stream = await client.beta.sessions.events.stream(sessionId);
    await client.beta.sessions.events.send(sessionId, { events: [{ type: 'user.message', content: text('bye') }] });
    await client.beta.sessions.delete(sessionId);
    const events = await collect(stream);
    expect(events.map((event) => event.type)).toEqual(['user.message', 'session.deleted']);
    expect(events[1]).toMatchObject({ id: expect.any(String), processed_at: expect.any(String) });
    await vi.waitFor(() => expect(subscribed()).not.toContain(sessionId), { timeout: 10_000 });
  });

  it('releases its subscription when the client leaves', async () => {
    const sessionId = await newSession();
    const stream = await client.beta.sessions.events.stream(sessionId);
    expect(subscribed()).toContain(sessionId);
    await client.beta.sessions.events.send(sessionId, { events: [{ type: 'user.message', content: text('hi') }] });
    for await (const event of stream) {
      expect(event.type).toBe('user.message');
      break; // The SDK aborts the request on break.
    }
    await vi.waitFor(() => expect(subscribed()).not.toContain(sessionId), { timeout: 10_000 });
  });

  it('supports the reconnect procedure: open, list history, dedupe by id (stream ids ⊆ history ids)', async () => {
    const sessionId = await newSession();
    await writeInterleaved(sessionId, 5);
    const stream = await client.beta.sessions.events.stream(sessionId);
    const iterator = stream[Symbol.asyncIterator]();
    // Events keep arriving while the client lists history.
    const [history] = await Promise.all([historyIds(sessionId), writeInterleaved(sessionId, 10)]);
    const seen = new Set(history);
    const live = await take(iterator, 30);
    stream.controller.abort();
    const fresh = live.map((event) => event.id!).filter((id) => !seen.has(id));
    const final = await historyIds(sessionId);
    expect(live.every((event) => final.includes(event.id!))).toBe(true);
    expect([...history, ...fresh]).toEqual(final);
  });

  it('answers 404 for an unknown session and 400 for a bad event_deltas value', async () => {
    await expectApiError(client.beta.sessions.events.stream('sesn_missing'), NotFoundError, { status: 404, type: 'not_found_error' });
    const sessionId = await newSession();
    await expectApiError(client.beta.sessions.events.stream(sessionId, { event_deltas: ['agent.tool_use' as never] }), BadRequestError, badField('event_deltas'));
    const ok = await client.beta.sessions.events.stream(sessionId, { event_deltas: ['agent.message', 'agent.thinking'] });
    ok.controller.abort();
  });
});

/** Opens a stream with raw fetch, exactly as the SDK does (`Accept: application/json`). */
async function openRaw(sessionId: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${server.url}/v1/sessions/${sessionId}/events/stream`, {
    headers: { authorization: `Bearer ${server.a.key}`, accept: 'application/json', ...headers },
    signal: controller.signal,
  });
  return { response, frames: sseReader(response.body!), close: () => controller.abort() };
}

/** Reads frames until `done` says so or the stream ends. */
async function readUntil(reader: { next(): Promise<SseFrame | undefined> }, done: (frames: SseFrame[]) => boolean): Promise<SseFrame[]> {
  const frames: SseFrame[] = [];
  for (;;) {
    const frame = await reader.next();
    if (!frame) return frames;
    frames.push(frame);
    if (done(frames)) return frames;
  }
}

describe('SSE framing (spec 4.5 and the additional checks of spec 6)', () => {
  it('answers 200 text/event-stream to Accept: application/json, with an event: line equal to the JSON type on every frame', async () => {
    const sessionId = await newSession();
    const { response, frames, close } = await openRaw(sessionId);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    await client.beta.sessions.events.send(sessionId, { events: [{ type: 'user.message', content: text('one') }] });
    await appendAsHarness(server.runtime, sessionId, [{ type: 'agent.message', content: text('two') }]);
    const read = await readUntil(frames, (all) => all.filter((f) => f.event === 'agent.message').length === 1 && all.some((f) => f.event === 'ping'));
    close();
    const events = read.filter((frame) => !frame.comment);
    for (const frame of events) {
      expect(frame.event).toBeDefined();
      expect(frame.data).not.toBe('[DONE]');
      expect(JSON.parse(frame.data).type).toBe(frame.event);
    }
    const persisted = events.filter((frame) => frame.event !== 'ping');
    expect(persisted.map((frame) => frame.event)).toEqual(['user.message', 'agent.message']);
    expect(persisted.map((frame) => frame.id)).toEqual(persisted.map((frame) => JSON.parse(frame.data).id));
  });

  it('sends heartbeats while nothing happens', async () => {
    const sessionId = await newSession();
    const { frames, close } = await openRaw(sessionId);
    const read = await readUntil(frames, (all) => all.filter((frame) => frame.event === 'ping').length >= 3);
    close();
    expect(read.filter((frame) => frame.event === 'ping')).toHaveLength(3);
    expect(read.filter((frame) => !frame.comment).every((frame) => frame.event === 'ping')).toBe(true);
  });

  it('ends with session.deleted and no [DONE] sentinel', async () => {
    const sessionId = await newSession();
    const { frames } = await openRaw(sessionId);
    await client.beta.sessions.delete(sessionId);
    const read = await readUntil(frames, () => false);
    const last = read.filter((frame) => frame.event !== 'ping' && !frame.comment);
    expect(last.map((frame) => frame.event)).toEqual(['session.deleted']);
    expect(read.some((frame) => frame.data.includes('[DONE]'))).toBe(false);
  });

  it('resumes after Last-Event-ID for clients that send one', async () => {
    const sessionId = await newSession();
    await writeInterleaved(sessionId, 3);
    const history = await historyIds(sessionId);
    const { frames, close } = await openRaw(sessionId, { 'last-event-id': history[3]! });
    const read = await readUntil(frames, (all) => all.filter((f) => f.id).length === history.length - 4);
    close();
    expect(read.filter((frame) => frame.id).map((frame) => frame.id)).toEqual(history.slice(4));
  });
});
