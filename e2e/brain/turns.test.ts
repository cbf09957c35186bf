import { afterEach, describe, expect, it } from 'vitest';
import { sequence } from '@longhand/harness/testing';
import { say, startBrain, texts, untilSettled, WEATHER_TOOL, type BrainRig } from '../support/brain.js';

let rig: BrainRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('turns through the SDK, with the Anthropic adapter speaking to a scripted model over HTTP', () => {
  it('answers a message with the events of a turn, in order, and ends idle with end_turn', async () => {
    rig = await startBrain(sequence([{ text: 'Hello from the model.', chunks: 3 }]));
    const id = await rig.session();
    const stream = await rig.client.beta.sessions.events.stream(id);
    await say(rig.client, id, 'hi');
    const events = await untilSettled(stream as never);
    expect(events.map((e) => e.type)).toEqual([
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
    expect(texts(events)).toEqual(['Hello from the model.']);
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
    const session = await rig.client.beta.sessions.retrieve(id);
    expect(session.status).toBe('idle');
    expect(session.usage.input_tokens).toBeGreaterThan(0);
    // The scripted provider got a real Messages API request from the adapter.
    const request = rig.provider.requests[0]!;
    expect(request.model).toBe('claude-sonnet-4-6');
    expect(request.stream).toBe(true);
    expect(request.messages[0]).toMatchObject({ role: 'user' });
  });

  it('streams previews to a client that asks for them, and keeps them out of history', async () => {
    rig = await startBrain(sequence([{ text: 'one two three four', chunks: 4, chunkDelayMs: 5 }]));
    const id = await rig.session();
    const stream = await rig.client.beta.sessions.events.stream(id, { event_deltas: ['agent.message'] });
    await say(rig.client, id, 'count');
    const events = await untilSettled(stream as never);
    const message = events.find((e) => e.type === 'agent.message')!;
    const start = events.findIndex((e) => e.type === 'event_start');
    expect(events[start]!.event).toEqual({ type: 'agent.message', id: message.id });
    const deltas = events.filter((e) => e.type === 'event_delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.every((d) => d.event_id === message.id)).toBe(true);
    expect(deltas.map((d) => d.delta.content.text).join('')).toBe('one two three four');
    expect(events.indexOf(message)).toBeGreaterThan(events.indexOf(deltas.at(-1)!));
    const history = [];
    for await (const event of rig.client.beta.sessions.events.list(id)) history.push(event);
    expect(history.some((e: { type: string }) => e.type === 'event_start' || e.type === 'event_delta')).toBe(false);
  });

  it('runs the custom tool round trip, accepting a result before the idle and ignoring a duplicate', async () => {
    rig = await startBrain(
      (view, call) => (call === 0 ? { toolUses: [{ name: 'get_weather', input: { city: 'Paris' } }] } : { text: `It is ${view.toolResults[0]?.text}.` }),
      { agent: { tools: [WEATHER_TOOL] } },
    );
    const id = await rig.session();
    const stream = await rig.client.beta.sessions.events.stream(id);
    await say(rig.client, id, 'weather in Paris?');
    let answered = 0;
    const events = await untilSettled(stream as never, async (event) => {
      if (event.type === 'agent.custom_tool_use') {
        const result = { type: 'user.custom_tool_result' as const, custom_tool_use_id: event.id, content: [{ type: 'text' as const, text: '18C' }] };
        const first = await rig!.client.beta.sessions.events.send(id, { events: [result] });
        const again = await rig!.client.beta.sessions.events.send(id, { events: [result] });
        expect(again.data![0]!.id).toBe(first.data![0]!.id);
        answered += 1;
      }
    });
    expect(answered).toBe(1);
    expect(texts(events)).toEqual(['It is 18C.']);
    const results = [];
    for await (const e of rig.client.beta.sessions.events.list(id, { types: ['user.custom_tool_result'] })) results.push(e);
    expect(results).toHaveLength(1);
  });

  it('ends with refusal and its details when the model refuses', async () => {
    rig = await startBrain(sequence([{ refusal: { category: 'cyber', explanation: 'will not help with that' } }]));
    const id = await rig.session();
    const stream = await rig.client.beta.sessions.events.stream(id);
    await say(rig.client, id, 'something bad');
    const idle = (await untilSettled(stream as never)).at(-1)!;
    expect(idle.stop_reason).toEqual({ type: 'refusal' });
    expect(idle.stop_details).toEqual({ type: 'refusal', category: 'cyber', explanation: 'will not help with that' });
  });

  it('stops a model stream when interrupted and ends the turn with end_turn', async () => {
    rig = await startBrain((view) => (view.lastUserText.includes('slowly') ? { hang: true } : { text: 'ok' }));
    const id = await rig.session();
    const stream = await rig.client.beta.sessions.events.stream(id);
    await say(rig.client, id, 'count slowly to 500');
    let interrupted = false;
    const events = await untilSettled(stream as never, async (event) => {
      if (!interrupted && event.type === 'span.model_request_start') {
        interrupted = true;
        await rig!.client.beta.sessions.events.send(id, { events: [{ type: 'user.interrupt' }] });
      }
    });
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
    expect(texts(events)).toEqual([]);
    const end = events.find((e) => e.type === 'span.model_request_end')!;
    expect(end.is_error).toBe(true);
  });
});
