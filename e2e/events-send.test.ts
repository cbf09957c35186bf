import type Anthropic from '@anthropic-ai/sdk';
import { BadRequestError, ConflictError, NotFoundError, toFile } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAsHarness, askForBash, badField, callCustomTool, collect, expectApiError, makeSession, markRunning } from './support/fixtures.js';
import { CONTROL_PLANE, startServer, type TestServer } from './support/server.js';

type EventParams = Anthropic.Beta.Sessions.BetaManagedAgentsEventParams;

// There is no harness here (CONTROL_PLANE): where an answer needs a tool use or an idle to exist,
// the test appends it to the log itself, as the harness would (`askForBash`, `callCustomTool`, …).
let server: TestServer;
let client: Anthropic;

beforeAll(async () => {
  server = await startServer(CONTROL_PLANE);
  client = server.a.client;
});
afterAll(() => server.close());

const text = (value: string) => [{ type: 'text' as const, text: value }];
const message = (value: string): EventParams => ({ type: 'user.message', content: text(value) });
const send = (sessionId: string, events: EventParams[]) => client.beta.sessions.events.send(sessionId, { events });
const history = (sessionId: string) => collect(client.beta.sessions.events.list(sessionId));
const idleSession = async () => (await makeSession(client)).session;

describe('user.message', () => {
  it('is echoed with a new id, queued (processed_at null), and listed', async () => {
    const session = await idleSession();
    const sent = await send(session.id, [message('hello')]);
    expect(sent.data).toEqual([{ id: expect.stringMatching(/^sevt_/), type: 'user.message', content: text('hello'), processed_at: null }]);
    expect(await history(session.id)).toEqual(sent.data);
  });

  it('carries images and documents from every source', async () => {
    const session = await idleSession();
    const file = await client.beta.files.upload({ file: await toFile(Buffer.from('%PDF-1.4'), 'a.pdf', { type: 'application/pdf' }) });
    const content = [
      { type: 'image', source: { type: 'base64', data: 'iVBORw0KGgo=', media_type: 'image/png' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
      { type: 'image', source: { type: 'file', file_id: file.id } },
      { type: 'document', source: { type: 'text', data: 'plain words', media_type: 'text/plain' }, title: 'Notes', context: 'from the user' },
      { type: 'document', source: { type: 'base64', data: 'JVBERi0=', media_type: 'application/pdf' } },
      { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' }, title: null },
      { type: 'document', source: { type: 'file', file_id: file.id } },
      { type: 'text', text: 'see attached' },
    ] as Anthropic.Beta.Sessions.BetaManagedAgentsUserMessageEventParams['content'];
    const sent = await send(session.id, [{ type: 'user.message', content }]);
    expect(sent.data?.[0]).toMatchObject({ type: 'user.message', content });
  });

  it('rejects redacted blocks, empty content, unknown blocks and missing files, naming the field', async () => {
    const session = await idleSession();
    const cases: Array<[unknown, string]> = [
      [[{ type: 'redacted' }], 'events[0].content[0]'],
      [[], 'events[0].content'],
      [[{ type: 'audio', data: 'x' }], 'events[0].content[0].type'],
      [[{ type: 'text' }], 'events[0].content[0].text'],
      [[{ type: 'image', source: { type: 'file', file_id: 'file_missing' } }], 'events[0].content[0].source.file_id'],
    ];
    for (const [content, field] of cases) {
      await expectApiError(send(session.id, [{ type: 'user.message', content } as EventParams]), BadRequestError, badField(field));
    }
    expect(await history(session.id)).toEqual([]);
  });
});

describe('user.interrupt', () => {
  it('is processed at once on an idle session and queued on a running one', async () => {
    const session = await idleSession();
    const [idle] = (await send(session.id, [{ type: 'user.interrupt' }])).data!;
    expect(idle).toMatchObject({ type: 'user.interrupt', processed_at: expect.any(String) });
    const primary = `sthr_${session.id.slice('sesn_'.length)}`;
    await send(session.id, [{ type: 'user.interrupt', session_thread_id: primary }]);
    await markRunning(server.runtime, session.id);
    const [busy] = (await send(session.id, [{ type: 'user.interrupt' }, message('instead')])).data!;
    expect(busy).toMatchObject({ type: 'user.interrupt', processed_at: null });
  });

  it('rejects a thread of another session', async () => {
    const session = await idleSession();
    await expectApiError(send(session.id, [{ type: 'user.interrupt', session_thread_id: 'sthr_other' }]), BadRequestError, badField('events[0].session_thread_id'));
  });
});

describe('user.tool_confirmation', () => {
  it('answers a tool use that asks, with allow or deny and a deny message', async () => {
    const session = await idleSession();
    // The harness would append these; there is none in these tests.
    const first = await askForBash(server.runtime, session.id);
    const second = await askForBash(server.runtime, session.id);
    const sent = await send(session.id, [
      { type: 'user.tool_confirmation', tool_use_id: first, result: 'allow' },
      { type: 'user.tool_confirmation', tool_use_id: second, result: 'deny', deny_message: 'not now' },
    ]);
    expect(sent.data).toMatchObject([
      { type: 'user.tool_confirmation', tool_use_id: first, result: 'allow' },
      { type: 'user.tool_confirmation', tool_use_id: second, result: 'deny', deny_message: 'not now' },
    ]);
  });

  it('treats a repeated confirmation as a no-op that echoes the first one', async () => {
    const session = await idleSession();
    const toolUse = await askForBash(server.runtime, session.id);
    const [first] = (await send(session.id, [{ type: 'user.tool_confirmation', tool_use_id: toolUse, result: 'allow' }])).data!;
    const [again] = (await send(session.id, [{ type: 'user.tool_confirmation', tool_use_id: toolUse, result: 'deny' }])).data!;
    expect(again).toEqual(first);
    expect((await history(session.id)).filter((e) => e.type === 'user.tool_confirmation')).toHaveLength(1);
  });

  it('stores a confirmation repeated within one request once', async () => {
    const session = await idleSession();
    const toolUse = await askForBash(server.runtime, session.id);
    const sent = await send(session.id, [
      { type: 'user.tool_confirmation', tool_use_id: toolUse, result: 'allow' },
      { type: 'user.tool_confirmation', tool_use_id: toolUse, result: 'deny' },
    ]);
    expect(sent.data?.[1]).toEqual(sent.data?.[0]);
    expect((await history(session.id)).filter((e) => e.type === 'user.tool_confirmation')).toHaveLength(1);
  });

  it('rejects unknown ids, tool uses that do not ask, and deny_message with allow', async () => {
    const session = await idleSession();
    const [allowed] = await appendAsHarness(server.runtime, session.id, [
      { type: 'agent.tool_use', name: 'read', input: {}, evaluated_permission: 'allow', evaluation: { type: 'always_allow' } },
    ]);
    const custom = await callCustomTool(server.runtime, session.id);
    const asking = await askForBash(server.runtime, session.id);
    const confirm = (toolUseId: string, extra: object = {}) => send(session.id, [{ type: 'user.tool_confirmation', tool_use_id: toolUseId, result: 'allow', ...extra }]);
    await expectApiError(confirm('sevt_missing'), BadRequestError, badField('events[0].tool_use_id'));
    await expectApiError(confirm(allowed!), BadRequestError, badField('events[0].tool_use_id'));
    await expectApiError(confirm(custom), BadRequestError, badField('events[0].tool_use_id'));
    await expectApiError(confirm(asking, { deny_message: 'why' }), BadRequestError, badField('events[0].deny_message'));
    await expectApiError(send(session.id, [{ type: 'user.tool_confirmation', tool_use_id: asking, result: 'maybe' as never }]), BadRequestError, badField('events[0].result'));
  });
});

describe('user.custom_tool_result', () => {
  it('answers a custom tool use, processed on receipt; a repeat is a no-op', async () => {
    const session = await idleSession();
    const toolUse = await callCustomTool(server.runtime, session.id);
    const result = {
      type: 'user.custom_tool_result' as const,
      custom_tool_use_id: toolUse,
      content: [
        { type: 'text' as const, text: '{"temp_c":18}' },
        { type: 'search_result' as const, source: 'https://w.example', title: 'Weather', content: text('sunny'), citations: { enabled: true } },
      ],
      is_error: false,
    };
    const [echo] = (await send(session.id, [result])).data!;
    expect(echo).toMatchObject({ ...result, id: expect.stringMatching(/^sevt_/), processed_at: expect.any(String) });
    const [again] = (await send(session.id, [{ ...result, is_error: true }])).data!;
    expect(again).toEqual(echo);
  });

  it('rejects an id that is not a custom tool use of this session', async () => {
    const session = await idleSession();
    const bash = await askForBash(server.runtime, session.id);
    for (const id of ['sevt_missing', bash]) {
      await expectApiError(send(session.id, [{ type: 'user.custom_tool_result', custom_tool_use_id: id }]), BadRequestError, badField('events[0].custom_tool_use_id'));
    }
  });
});

describe('user.define_outcome', () => {
  it('is echoed with an outcome id and processed_at, and tracked on the session', async () => {
    const session = await idleSession();
    const [echo] = (await send(session.id, [{ type: 'user.define_outcome', description: 'a chart', rubric: { type: 'text', content: 'has axes' } }])).data!;
    expect(echo).toMatchObject({ type: 'user.define_outcome', outcome_id: expect.stringMatching(/^outc_/), max_iterations: 3, processed_at: expect.any(String) });
    const outcomeId = (echo as { outcome_id: string }).outcome_id;
    expect((await client.beta.sessions.retrieve(session.id)).outcome_evaluations).toMatchObject([{ outcome_id: outcomeId, result: 'pending', iteration: 0 }]);
    await expectApiError(
      send(session.id, [{ type: 'user.define_outcome', description: 'another', rubric: { type: 'text', content: 'x' } }]),
      BadRequestError,
      badField('events[0]'),
    );
  });

  it('takes a file rubric and max_iterations up to 20', async () => {
    const session = await idleSession();
    const rubric = await client.beta.files.upload({ file: await toFile(Buffer.from('# rubric'), 'rubric.md', { type: 'text/markdown' }) });
    const [echo] = (await send(session.id, [{ type: 'user.define_outcome', description: 'd', rubric: { type: 'file', file_id: rubric.id }, max_iterations: 20 }])).data!;
    expect(echo).toMatchObject({ rubric: { type: 'file', file_id: rubric.id }, max_iterations: 20 });
    const other = await idleSession();
    await expectApiError(send(other.id, [{ type: 'user.define_outcome', description: 'd', rubric: { type: 'text', content: 'x' }, max_iterations: 21 }]), BadRequestError, badField('events[0].max_iterations'));
    await expectApiError(send(other.id, [{ type: 'user.define_outcome', description: 'd', rubric: { type: 'file', file_id: 'file_missing' } }]), BadRequestError, badField('events[0].rubric.file_id'));
  });
});

describe('user.tool_result', () => {
  it('is accepted on a self_hosted environment only', async () => {
    const { session } = await makeSession(client, { environment_id: (await client.beta.environments.create({ name: `sh-${Date.now()}`, config: { type: 'self_hosted' } })).id });
    const [toolUse] = await appendAsHarness(server.runtime, session.id, [{ type: 'agent.tool_use', name: 'bash', input: { command: 'ls' }, evaluated_permission: 'allow', evaluation: { type: 'always_allow' } }]);
    const [echo] = (await send(session.id, [{ type: 'user.tool_result', tool_use_id: toolUse!, content: text('a b c') }])).data!;
    expect(echo).toMatchObject({ type: 'user.tool_result', tool_use_id: toolUse, processed_at: expect.any(String) });

    const cloud = await idleSession();
    const [cloudUse] = await appendAsHarness(server.runtime, cloud.id, [{ type: 'agent.tool_use', name: 'bash', input: {}, evaluated_permission: 'allow' }]);
    await expectApiError(send(cloud.id, [{ type: 'user.tool_result', tool_use_id: cloudUse! }]), BadRequestError, badField('self_hosted'));
  });
});

describe('system.message', () => {
  const system: EventParams = { type: 'system.message', content: text('Answer in French.') };

  it('is accepted alone or right after the message it accompanies', async () => {
    const session = await idleSession();
    expect((await send(session.id, [system])).data).toMatchObject([{ type: 'system.message', content: text('Answer in French.') }]);
    const sent = await send(session.id, [message('bonjour'), system]);
    expect(sent.data?.map((e) => e.type)).toEqual(['user.message', 'system.message']);
  });

  it('must be the only one and the last event, right after its companion', async () => {
    const session = await idleSession();
    await expectApiError(send(session.id, [system, message('x')]), BadRequestError, badField('events[0]'));
    await expectApiError(send(session.id, [message('x'), system, system]), BadRequestError, badField('system.message'));
    await expectApiError(send(session.id, [message('x'), { type: 'user.interrupt' }, system]), BadRequestError, badField('events[2]'));
    await expectApiError(send(session.id, [{ type: 'system.message', content: [] }]), BadRequestError, badField('events[0].content'));
    expect(await history(session.id)).toEqual([]);
  });

  it('while idle with requires_action, is accepted only trailing a tool result', async () => {
    const session = await idleSession();
    const toolUse = await callCustomTool(server.runtime, session.id);
    await appendAsHarness(server.runtime, session.id, [
      { type: 'session.status_idle', stop_reason: { type: 'requires_action', event_ids: [toolUse] }, stop_details: null },
    ]);
    await expectApiError(send(session.id, [system]), BadRequestError, badField('events[0]'));
    await expectApiError(send(session.id, [message('hm'), system]), BadRequestError, badField('events[1]'));
    const sent = await send(session.id, [{ type: 'user.custom_tool_result', custom_tool_use_id: toolUse, content: text('18C') }, system]);
    expect(sent.data?.map((e) => e.type)).toEqual(['user.custom_tool_result', 'system.message']);
  });
});

describe('sending events', () => {
  it('echoes several events in input order', async () => {
    const session = await idleSession();
    const sent = await send(session.id, [message('one'), message('two'), { type: 'user.interrupt' }, message('three')]);
    expect(sent.data?.map((e) => (e.type === 'user.message' ? (e.content[0] as { text: string }).text : e.type))).toEqual(['one', 'two', 'user.interrupt', 'three']);
    expect((await history(session.id)).map((e) => e.id)).toEqual(sent.data?.map((e) => e.id));
  });

  it('rejects unknown types, empty lists and unknown fields, naming them', async () => {
    const session = await idleSession();
    await expectApiError(send(session.id, [{ type: 'user.shout' } as never]), BadRequestError, badField('events[0].type'));
    await expectApiError(send(session.id, []), BadRequestError, badField('events'));
    await expectApiError(send(session.id, [{ ...message('x'), mood: 'happy' } as never]), BadRequestError, badField('mood'));
  });

  it('accepts only settle events while the session is paused at its budget', async () => {
    const session = await idleSession();
    const toolUse = await callCustomTool(server.runtime, session.id);
    await appendAsHarness(server.runtime, session.id, [{ type: 'session.status_idle', stop_reason: { type: 'budget_reached' }, stop_details: null }]);
    const error = await expectApiError(send(session.id, [message('more')]), BadRequestError, badField('events[0]'));
    expect(error.apiMessage).toContain('user.custom_tool_result');
    const [interrupt] = (await send(session.id, [{ type: 'user.interrupt' }])).data!;
    expect(interrupt?.type).toBe('user.interrupt');
    const [result] = (await send(session.id, [{ type: 'user.custom_tool_result', custom_tool_use_id: toolUse }])).data!;
    // The interrupt is accepted and ignored, not persisted (spec 5.6); the result is kept.
    const types = (await history(session.id)).map((e) => e.id);
    expect(types).not.toContain(interrupt!.id);
    expect(types).toContain(result!.id);
  });

  it('refuses events to an archived session with a non-retryable 409, and to a deleted one with a 404', async () => {
    const session = await idleSession();
    await client.beta.sessions.archive(session.id);
    const error = await expectApiError(send(session.id, [message('late')]), ConflictError, { status: 409, type: 'invalid_request_error', message: 'archived' });
    expect(error.headers?.get('x-should-retry')).toBe('false');
    await client.beta.sessions.delete(session.id);
    await expectApiError(send(session.id, [message('gone')]), NotFoundError, { status: 404, type: 'not_found_error' });
  });
});
