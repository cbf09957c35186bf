import { describe, expect, it } from 'vitest';
import { sequence } from '@longhand/harness/testing';
import { rig, userText } from './support.js';

describe('a turn', () => {
  it('emits the events of spec 5.2 in order and leaves the session idle with nothing to wake for', async () => {
    const r = await rig(sequence([{ text: 'Hello there.' }]));
    const [sent] = await r.send(userText('hi'));
    await r.run();
    expect(await r.types()).toEqual([
      'user.message',
      'session.status_running',
      'session.thread_status_running',
      'user.message',
      'span.model_request_start',
      'agent.message',
      'span.model_request_end',
      'session.thread_status_idle',
      'session.usage',
      'session.status_idle',
    ]);
    const events = await r.events();
    expect(events[3]!.id).toBe(sent!.id);
    expect(events[3]!.processed_at).not.toBeNull();
    const idle = events.at(-1)!;
    expect(idle.type === 'session.status_idle' && idle.stop_reason).toEqual({ type: 'end_turn' });
    const end = events.find((e) => e.type === 'span.model_request_end')!;
    expect(end.type === 'span.model_request_end' && end.model_request_start_id).toBe(events[4]!.id);
    const record = (await r.store.sessions.get(r.session.id))!;
    expect(record.session.status).toBe('idle');
    expect(record.wakeSeq).toBe(0);
    expect(end.type === 'span.model_request_end' && end.model_usage.input_tokens).toBeGreaterThan(0);
    expect(record.session.usage.input_tokens).toBe(end.type === 'span.model_request_end' ? end.model_usage.input_tokens : -1);
    await r.close();
  });

  it('runs an allowed tool, feeds its result back, and ends with the final answer', async () => {
    const r = await rig(
      (view, call) => (call === 0 ? { text: 'Let me look.', toolUses: [{ name: 'read', input: { file_path: 'a.txt' } }] } : { text: `The file says: ${view.toolResults[0]?.text}` }),
      { toolImpl: { read: async () => 'contents of a' } },
    );
    await r.send(userText('read a.txt'));
    await r.run();
    const events = await r.events();
    const use = events.find((e) => e.type === 'agent.tool_use')!;
    expect(use.type === 'agent.tool_use' && [use.name, use.evaluated_permission, use.evaluation]).toEqual(['read', 'allow', { type: 'always_allow' }]);
    const result = events.find((e) => e.type === 'agent.tool_result')!;
    expect(result.type === 'agent.tool_result' && result.tool_use_id).toBe(use.id);
    const last = events.filter((e) => e.type === 'agent.message').at(-1)!;
    expect(last.type === 'agent.message' && last.content).toEqual([{ type: 'text', text: 'The file says: contents of a' }]);
    // The second request carries the tool use and its result, paired by the event id.
    const second = r.model.requests[1]!;
    const assistant = second.messages.find((m) => m.role === 'assistant')!;
    expect(assistant.content.find((b) => b.type === 'tool_use')).toMatchObject({ id: use.id, name: 'read' });
    expect(second.messages.at(-1)!.content[0]).toMatchObject({ type: 'tool_result', tool_use_id: use.id, is_error: false });
    await r.close();
  });

  it('takes messages sent during a turn up after it, in order, in a new turn', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const r = await rig(async (view, call) => {
      if (call === 0) await gate;
      return { text: `answer to: ${view.userTexts.join(' | ')}` };
    });
    await r.send(userText('first'));
    const running = r.run();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await r.send(userText('second'), userText('third'));
    release();
    await running;
    const events = await r.events();
    const idles = events.filter((e) => e.type === 'session.status_idle');
    expect(idles).toHaveLength(2);
    const answers = events.flatMap((e) => (e.type === 'agent.message' ? [e.content[0]!.type === 'text' ? e.content[0]!.text : ''] : []));
    expect(answers).toEqual(['answer to: first', 'answer to: first | second\nthird']);
    await r.close();
  });

  it('answers a refusal with idle `refusal` and its details', async () => {
    const r = await rig(sequence([{ refusal: { category: 'cyber', explanation: 'not this' } }]));
    await r.send(userText('bad'));
    await r.run();
    const idle = (await r.events()).at(-1)!;
    expect(idle.type === 'session.status_idle' && [idle.stop_reason, idle.stop_details]).toEqual([
      { type: 'refusal' },
      { type: 'refusal', category: 'cyber', explanation: 'not this' },
    ]);
    await r.close();
  });

  it('keeps thinking out of the wire event but gives it back to the model', async () => {
    const r = await rig((_v, call) => (call === 0 ? { thinking: 'hmm', text: 'step', toolUses: [{ name: 'read', input: {} }] } : { text: 'done' }));
    await r.send(userText('think'));
    await r.run();
    const thinking = (await r.events()).find((e) => e.type === 'agent.thinking')!;
    expect(Object.keys(thinking).sort()).toEqual(['id', 'processed_at', 'type']);
    const assistant = r.model.requests[1]!.messages.find((m) => m.role === 'assistant')!;
    expect(assistant.content[0]).toEqual({ type: 'thinking', thinking: 'hmm', signature: 'scripted-signature' });
    await r.close();
  });
});
