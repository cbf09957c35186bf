import { afterEach, describe, expect, it } from 'vitest';
import { sequence } from '@longhand/harness/testing';
import { say, startBrain, texts, untilSettled, WEATHER_TOOL, type BrainRig } from '../support/brain.js';

let rig: BrainRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

function errorsOf(events: Array<{ type: string; error?: { type: string; retry_status: { type: string } } }>): string[] {
  return events.filter((e) => e.type === 'session.error').map((e) => `${e.error!.type}:${e.error!.retry_status.type}`);
}

describe('model failures through the SDK', () => {
  const classes = [
    ['a 429 with retry-after', { error: { status: 429, type: 'rate_limit_error', retryAfterSeconds: 0 } }, 'model_rate_limited_error'],
    ['a 529', { error: { status: 529, type: 'overloaded_error' } }, 'model_overloaded_error'],
    ['a 500', { error: { status: 500 } }, 'model_request_failed_error'],
    ['a stream cut halfway', { cut: true as const, text: 'half an ans' }, 'model_request_failed_error'],
  ] as const;
  for (const [name, failure, type] of classes) {
    it(`retries ${name}, showing rescheduling on the stream, then answers`, async () => {
      rig = await startBrain(sequence([failure, { text: 'recovered' }]));
      const id = await rig.session();
      const stream = await rig.client.beta.sessions.events.stream(id);
      await say(rig.client, id, 'hi');
      const events = await untilSettled(stream as never);
      expect(errorsOf(events as never)).toEqual([`${type}:retrying`]);
      expect(events.map((e) => e.type)).toContain('session.status_rescheduled');
      expect(texts(events)).toEqual(['recovered']);
      expect(events.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
    });
  }

  it('retries a request that times out before the response starts', async () => {
    rig = await startBrain(sequence([{ hang: true }, { text: 'on time' }]), { timeoutMs: 300 });
    const id = await rig.session();
    const stream = await rig.client.beta.sessions.events.stream(id);
    await say(rig.client, id, 'hi');
    const events = await untilSettled(stream as never);
    expect(errorsOf(events as never)).toEqual(['model_request_failed_error:retrying']);
    expect(texts(events)).toEqual(['on time']);
  });

  it('ends the turn with retries_exhausted when retries run out', async () => {
    rig = await startBrain(sequence([{ error: { status: 503 } }]), { harness: { backoffMs: () => 5, maxRetries: 2 } });
    const id = await rig.session();
    const stream = await rig.client.beta.sessions.events.stream(id);
    await say(rig.client, id, 'hi');
    const events = await untilSettled(stream as never);
    expect(errorsOf(events as never)).toEqual(['model_overloaded_error:retrying', 'model_overloaded_error:retrying', 'model_overloaded_error:exhausted']);
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'retries_exhausted' });
    expect((await rig.client.beta.sessions.retrieve(id)).status).toBe('idle');
  });

  it('terminates the session with a clear message when the provider rejects the request', async () => {
    rig = await startBrain(sequence([{ error: { status: 400, type: 'invalid_request_error', message: 'messages: bad shape' } }]));
    const id = await rig.session();
    const stream = await rig.client.beta.sessions.events.stream(id);
    await say(rig.client, id, 'hi');
    const events = await untilSettled(stream as never);
    expect(errorsOf(events as never)).toEqual(['model_request_failed_error:terminal']);
    expect(events.find((e) => e.type === 'session.error')!.error.message).toContain('messages: bad shape');
    expect(events.at(-1)!.type).toBe('session.status_terminated');
    expect((await rig.client.beta.sessions.retrieve(id)).status).toBe('terminated');
  });
});

describe('budgets through the SDK', () => {
  it('pauses at budget_reached, refuses new work, and goes on once the budget is raised', async () => {
    // Each request: 100,000 output tokens of claude-sonnet-4-6 at $15/Mtok ≈ 150 cents.
    rig = await startBrain((_view, call) =>
      call === 0 ? { toolUses: [{ name: 'get_weather', input: { city: 'Rome' } }], usage: { output_tokens: 100_000 } } : { text: 'done' },
      { agent: { tools: [WEATHER_TOOL] } },
    );
    const id = await rig.session({ budget: { type: 'limit', max_list_cost: { amount: '100', currency: 'USD' } } });
    const stream = await rig.client.beta.sessions.events.stream(id);
    await say(rig.client, id, 'weather');
    const events = await untilSettled(stream as never, async (event) => {
      if (event.type === 'agent.custom_tool_use') {
        await rig!.client.beta.sessions.events.send(id, {
          events: [{ type: 'user.custom_tool_result', custom_tool_use_id: event.id, content: [{ type: 'text', text: 'sunny' }] }],
        });
      }
    });
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'budget_reached' });
    const usage = events.filter((e) => e.type === 'session.usage').at(-1)!;
    expect(Number(usage.usage.list_cost.amount)).toBeGreaterThan(100);
    await expect(say(rig.client, id, 'more')).rejects.toMatchObject({ status: 400 });
    const resumed = await rig.client.beta.sessions.events.stream(id);
    await rig.client.beta.sessions.update(id, { budget: { type: 'limit', max_list_cost: { amount: '1000', currency: 'USD' } } });
    const after = await untilSettled(resumed as never);
    expect(texts(after)).toEqual(['done']);
    expect(after.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
  });
});

describe('compaction through the SDK', () => {
  it('summarises older turns when the context nears the window, and carries on from the summary', async () => {
    const big = 'lorem ipsum '.repeat(300);
    rig = await startBrain(
      (view) => (view.lastUserText.startsWith('Your context is nearly full') ? { text: 'SUMMARY-OK' } : { text: `ack ${view.userTexts.length}` }),
      { contextWindow: 2000 },
    );
    const id = await rig.session();
    for (const round of [1, 2]) {
      const stream = await rig.client.beta.sessions.events.stream(id);
      await say(rig.client, id, `round ${round} ${big}`);
      await untilSettled(stream as never);
    }
    const history = [];
    for await (const e of rig.client.beta.sessions.events.list(id)) history.push(e as { type: string });
    expect(history.some((e) => e.type === 'agent.thread_context_compacted')).toBe(true);
    const last = rig.provider.requests.at(-1)!;
    expect(JSON.stringify(last.messages)).toContain('SUMMARY-OK');
    expect(JSON.stringify(last.messages)).not.toContain('round 1');
  });
});

describe('the OpenAI-compatible adapter', () => {
  it('maps tool calls both ways and finishes the turn', async () => {
    rig = await startBrain(
      (view, call) => (call === 0 ? { text: 'Checking.', toolUses: [{ name: 'get_weather', input: { city: 'Oslo' } }] } : { text: `Oslo: ${view.toolResults[0]?.text}` }),
      { format: 'openai', model: 'llama3.1:8b', agent: { tools: [WEATHER_TOOL] } },
    );
    const id = await rig.session();
    const stream = await rig.client.beta.sessions.events.stream(id);
    await say(rig.client, id, 'weather in Oslo');
    const events = await untilSettled(stream as never, async (event) => {
      if (event.type === 'agent.custom_tool_use') {
        expect(event.input).toEqual({ city: 'Oslo' });
        await rig!.client.beta.sessions.events.send(id, {
          events: [{ type: 'user.custom_tool_result', custom_tool_use_id: event.id, content: [{ type: 'text', text: '-3C' }] }],
        });
      }
    });
    expect(texts(events)).toEqual(['Checking.', 'Oslo: -3C']);
    const second = rig.provider.requests[1]!;
    expect(second.model).toBe('llama3.1:8b');
    const assistant = second.messages.find((m: { role: string }) => m.role === 'assistant');
    expect(assistant.tool_calls[0].function).toEqual({ name: 'get_weather', arguments: '{"city":"Oslo"}' });
    const tool = second.messages.find((m: { role: string }) => m.role === 'tool');
    expect(tool).toMatchObject({ tool_call_id: assistant.tool_calls[0].id, content: '-3C' });
    expect(second.tools[0].function.name).toBe('get_weather');
  });
});
