import { describe, expect, it } from 'vitest';
import { rig, userText } from './support.js';

describe('client actions', () => {
  it('holds an always_ask call until confirmed, then runs it', async () => {
    const r = await rig((view, call) => (call === 0 ? { toolUses: [{ name: 'bash', input: { command: 'echo hi' } }] } : { text: `ran: ${view.toolResults[0]?.text}` }), {
      toolImpl: { bash: async () => 'hi' },
    });
    await r.send(userText('run it'));
    await r.run();
    let events = await r.events();
    const use = events.find((e) => e.type === 'agent.tool_use')!;
    expect(use.type === 'agent.tool_use' && [use.evaluated_permission, use.evaluation]).toEqual(['ask', { type: 'always_ask' }]);
    const idle = events.at(-1)!;
    expect(idle.type === 'session.status_idle' && idle.stop_reason).toEqual({ type: 'requires_action', event_ids: [use.id] });
    expect(r.tools.calls).toEqual([]);
    expect((await r.store.sessions.get(r.session.id))!.wakeSeq).toBe(0);

    await r.send({ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'allow' });
    await r.run();
    events = await r.events();
    expect(r.tools.calls).toEqual([{ name: 'bash', input: { command: 'echo hi' } }]);
    const after = events.slice(events.findIndex((e) => e.type === 'user.tool_confirmation'));
    expect(after.map((e) => e.type).slice(0, 5)).toEqual([
      'user.tool_confirmation',
      'session.status_running',
      'session.thread_status_running',
      'user.tool_confirmation',
      'agent.tool_result',
    ]);
    const final = events.at(-1)!;
    expect(final.type === 'session.status_idle' && final.stop_reason.type).toBe('end_turn');
    await r.close();
  });

  it('does not run a denied call and tells the model the user said no, with their message', async () => {
    const r = await rig((view, call) => (call === 0 ? { toolUses: [{ name: 'bash', input: { command: 'rm -rf /' } }] } : { text: view.toolResults[0]!.text }));
    await r.send(userText('clean up'));
    await r.run();
    const use = (await r.events()).find((e) => e.type === 'agent.tool_use')!;
    await r.send({ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'deny', deny_message: 'too dangerous' });
    await r.run();
    expect(r.tools.calls).toEqual([]);
    const result = (await r.events()).find((e) => e.type === 'agent.tool_result')!;
    expect(result.type === 'agent.tool_result' && result.is_error).toBe(true);
    expect(r.model.requests[1]!.messages.at(-1)!.content[0]).toMatchObject({ type: 'tool_result', is_error: true });
    expect(JSON.stringify(r.model.requests[1]!.messages.at(-1))).toContain('too dangerous');
    await r.close();
  });

  it('waits for custom tool results, accepts one sent before the idle, and re-idles with what is left', async () => {
    const r = await rig((view, call) =>
      call === 0
        ? { toolUses: [{ name: 'get_weather', input: { city: 'Paris' } }, { name: 'get_weather', input: { city: 'Oslo' } }] }
        : { text: view.toolResults.map((t) => t.text).join(', ') },
    );
    await r.send(userText('weather?'));
    await r.run();
    const uses = (await r.events()).filter((e) => e.type === 'agent.custom_tool_use');
    expect(uses).toHaveLength(2);
    await r.send({ type: 'user.custom_tool_result', custom_tool_use_id: uses[0]!.id, content: [{ type: 'text', text: '18C' }] });
    await r.run();
    const reidle = (await r.events()).at(-1)!;
    expect(reidle.type === 'session.status_idle' && reidle.stop_reason).toEqual({ type: 'requires_action', event_ids: [uses[1]!.id] });
    await r.send({ type: 'user.custom_tool_result', custom_tool_use_id: uses[1]!.id, content: [{ type: 'text', text: '2C' }] });
    await r.run();
    const last = (await r.events()).filter((e) => e.type === 'agent.message').at(-1)!;
    expect(last.type === 'agent.message' && last.content[0]).toEqual({ type: 'text', text: '18C, 2C' });
    await r.close();
  });

  it('closes calls left open when the user sends a new message instead of answering', async () => {
    const r = await rig((view, call) => (call === 0 ? { toolUses: [{ name: 'bash', input: { command: 'ls' } }] } : { text: `after: ${view.lastUserText}` }));
    await r.send(userText('list'));
    await r.run();
    await r.send(userText('never mind'));
    await r.run();
    const events = await r.events();
    const result = events.find((e) => e.type === 'agent.tool_result')!;
    expect(result.type === 'agent.tool_result' && result.is_error).toBe(true);
    const last = events.filter((e) => e.type === 'agent.message').at(-1)!;
    expect(last.type === 'agent.message' && last.content[0]).toEqual({ type: 'text', text: 'after: never mind' });
    expect(events.at(-1)!.type).toBe('session.status_idle');
    await r.close();
  });
});

describe('interrupts', () => {
  it('stop a model stream at once, end the turn with end_turn, then process queued messages', async () => {
    const r = await rig((view) => (view.lastUserText === 'slow' ? { hang: true } : { text: 'quick answer' }));
    await r.send(userText('slow'));
    const running = r.run();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await r.send({ type: 'user.interrupt' }, userText('fast please'));
    await running;
    const events = await r.events();
    const types = events.map((e) => e.type);
    const firstIdle = events.find((e) => e.type === 'session.status_idle')!;
    expect(firstIdle.type === 'session.status_idle' && firstIdle.stop_reason).toEqual({ type: 'end_turn' });
    // The stream that was cut closes its span; no partial message is kept.
    const ends = events.filter((e) => e.type === 'span.model_request_end');
    expect(ends[0]!.type === 'span.model_request_end' && ends[0]!.is_error).toBe(true);
    expect(types.filter((t) => t === 'agent.message')).toHaveLength(1);
    const last = events.filter((e) => e.type === 'agent.message').at(-1)!;
    expect(last.type === 'agent.message' && last.content[0]).toEqual({ type: 'text', text: 'quick answer' });
    expect(types.at(-1)).toBe('session.status_idle');
    await r.close();
  });

  it('stop a running tool and record that it was interrupted', async () => {
    const r = await rig((_v, call) => (call === 0 ? { toolUses: [{ name: 'read', input: {} }] } : { text: 'unreachable' }), {
      toolImpl: {
        read: (_input, signal) =>
          new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true })),
      },
    });
    await r.send(userText('go'));
    const running = r.run();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await r.send({ type: 'user.interrupt' });
    await running;
    const events = await r.events();
    const result = events.find((e) => e.type === 'agent.tool_result')!;
    expect(result.type === 'agent.tool_result' && result.is_error).toBe(true);
    expect(JSON.stringify(result)).toContain('interrupted');
    expect(events.filter((e) => e.type === 'agent.tool_result')).toHaveLength(1);
    expect(r.model.requests).toHaveLength(1);
    const idle = events.at(-1)!;
    expect(idle.type === 'session.status_idle' && idle.stop_reason.type).toBe('end_turn');
    await r.close();
  });

  it('close every pending call when the turn waits for confirmation', async () => {
    const r = await rig(() => ({ toolUses: [{ name: 'bash', input: { command: 'x' } }] }));
    await r.send(userText('go'));
    await r.run();
    await r.send({ type: 'user.interrupt' });
    await r.run();
    const events = await r.events();
    expect(events.filter((e) => e.type === 'agent.tool_result')).toHaveLength(1);
    const idle = events.at(-1)!;
    expect(idle.type === 'session.status_idle' && idle.stop_reason).toEqual({ type: 'end_turn' });
    expect(r.model.requests).toHaveLength(1);
    await r.close();
  });
});
