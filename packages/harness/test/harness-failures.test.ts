import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '@longhand/protocol';
import { sequence } from '@longhand/harness/testing';
import { rig, userText } from './support.js';

function errors(events: SessionEvent[]) {
  return events.flatMap((e) => (e.type === 'session.error' ? [`${e.error.type}:${e.error.retry_status.type}`] : []));
}

describe('model failures', () => {
  for (const [status, type] of [
    [429, 'model_rate_limited_error'],
    [529, 'model_overloaded_error'],
    [500, 'model_request_failed_error'],
  ] as const) {
    it(`retry a ${status} after rescheduling and then succeed`, async () => {
      const r = await rig(sequence([{ error: { status } }, { text: 'ok' }]));
      await r.send(userText('hi'));
      await r.run();
      const events = await r.events();
      expect(errors(events)).toEqual([`${type}:retrying`]);
      const types = events.map((e) => e.type);
      const at = types.indexOf('session.error');
      expect(types.slice(at - 1, at + 6)).toEqual([
        'span.model_request_end',
        'session.error',
        'session.thread_status_rescheduled',
        'session.status_rescheduled',
        'session.status_running',
        'session.thread_status_running',
        'span.model_request_start',
      ]);
      expect(types.at(-1)).toBe('session.status_idle');
      await r.close();
    });
  }

  it('retry a stream cut halfway without keeping any of it', async () => {
    const r = await rig(sequence([{ cut: true, text: 'partial' }, { text: 'whole answer' }]));
    await r.send(userText('hi'));
    await r.run();
    const messages = (await r.events()).filter((e) => e.type === 'agent.message');
    expect(messages.map((m) => m.type === 'agent.message' && m.content[0])).toEqual([{ type: 'text', text: 'whole answer' }]);
    await r.close();
  });

  it('end the turn with retries_exhausted when every retry fails, and accept the next message', async () => {
    const r = await rig((view) => (view.lastUserText.endsWith('again') ? { text: 'fine now' } : { error: { status: 503 } }), { config: { maxRetries: 2 } });
    await r.send(userText('hi'));
    await r.run();
    let events = await r.events();
    expect(errors(events)).toEqual(['model_overloaded_error:retrying', 'model_overloaded_error:retrying', 'model_overloaded_error:exhausted']);
    const idle = events.at(-1)!;
    expect(idle.type === 'session.status_idle' && idle.stop_reason.type).toBe('retries_exhausted');
    expect(events.at(-2)!.type).toBe('session.usage');
    await r.send(userText('again'));
    await r.run();
    events = await r.events();
    const last = events.filter((e) => e.type === 'agent.message').at(-1)!;
    expect(last.type === 'agent.message' && last.content[0]).toEqual({ type: 'text', text: 'fine now' });
    await r.close();
  });

  it('terminate the session when the provider rejects the key', async () => {
    const r = await rig(sequence([{ error: { status: 401, message: 'invalid x-api-key' } }]));
    await r.send(userText('hi'));
    await r.run();
    const events = await r.events();
    expect(errors(events)).toEqual(['model_request_failed_error:terminal']);
    const error = events.find((e) => e.type === 'session.error')!;
    expect(error.type === 'session.error' && error.error.message).toContain('invalid x-api-key');
    expect(events.at(-1)!.type).toBe('session.status_terminated');
    expect((await r.store.sessions.get(r.session.id))!.session.status).toBe('terminated');
    await r.close();
  });
});

describe('limits', () => {
  it('pause at the budget before the request that would exceed it, and go on when it is raised', async () => {
    // 100,000 output tokens at $15/Mtok = $1.50, plus a few input tokens: just over 150 cents.
    const r = await rig((_v, call) => (call === 0 ? { toolUses: [{ name: 'read', input: {} }], usage: { output_tokens: 100_000 } } : { text: 'finished' }), {
      budget: { type: 'limit', max_list_cost: { amount: '100', currency: 'USD' } },
    });
    await r.send(userText('go'));
    await r.run();
    let events = await r.events();
    const idle = events.at(-1)!;
    expect(idle.type === 'session.status_idle' && idle.stop_reason.type).toBe('budget_reached');
    const usage = events.at(-2)!;
    expect(usage.type === 'session.usage' && usage.usage.list_cost).toEqual({ amount: '151', currency: 'USD' });
    expect(r.model.requests).toHaveLength(1);
    await r.store.sessions.update(r.session.id, { budget: { type: 'limit', max_list_cost: { amount: '500', currency: 'USD' } } });
    await r.run();
    events = await r.events();
    const final = events.at(-1)!;
    expect(final.type === 'session.status_idle' && final.stop_reason.type).toBe('end_turn');
    expect(r.model.requests).toHaveLength(2);
    await r.close();
  });

  it('stop a turn that makes too many model requests with tool_use_limit_reached_error', async () => {
    const r = await rig(() => ({ toolUses: [{ name: 'read', input: {} }] }), { config: { maxToolRounds: 3 } });
    await r.send(userText('loop'));
    await r.run();
    const events = await r.events();
    expect(r.model.requests).toHaveLength(3);
    expect(errors(events)).toEqual(['tool_use_limit_reached_error:exhausted']);
    const idle = events.at(-1)!;
    expect(idle.type === 'session.status_idle' && idle.stop_reason.type).toBe('retries_exhausted');
    await r.close();
  });

  it('compact when the context nears the window, then continue from the summary', async () => {
    // Each message is ~750 tokens; the window of 2000 is crossed (at 80%) by the second.
    const big = 'x'.repeat(3000);
    const r = await rig(
      (view) => {
        if (view.lastUserText.startsWith('Your context is nearly full')) return { text: 'SUMMARY: the user sent big texts.' };
        return { text: 'noted' };
      },
      { contextWindow: 2000, config: { compactionThreshold: 0.8, maxOutputTokens: 100 } },
    );
    await r.send(userText(`first ${big}`));
    await r.run();
    expect((await r.events()).some((e) => e.type === 'agent.thread_context_compacted')).toBe(false);
    await r.send(userText(`second ${big}`));
    await r.run();
    const events = await r.events();
    expect(events.filter((e) => e.type === 'agent.thread_context_compacted').length).toBeGreaterThanOrEqual(1);
    const lastRequest = r.model.requests.at(-1)!;
    expect(JSON.stringify(lastRequest.messages[0])).toContain('SUMMARY: the user sent big texts.');
    expect(JSON.stringify(lastRequest.messages)).not.toContain(big);
    // History is untouched: the big message is still in the log.
    expect(JSON.stringify(events)).toContain(big);
    await r.close();
  });

  it('give up after too many compactions in a row', async () => {
    const r = await rig(() => ({ text: 'y'.repeat(20_000) }), { contextWindow: 1000, config: { maxOutputTokens: 10, maxConsecutiveCompactions: 2 } });
    await r.send(userText('z'.repeat(5000)));
    await r.run();
    const events = await r.events();
    expect(errors(events)).toEqual(['compaction_limit_reached_error:exhausted']);
    expect(events.filter((e) => e.type === 'agent.thread_context_compacted')).toHaveLength(2);
    await r.close();
  });
});
