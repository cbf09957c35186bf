import { describe, expect, it } from 'vitest';
import { isLeaseLost } from '@longhand/store';
import { sequence } from '@longhand/harness/testing';
import { rig, userText } from './support.js';

describe('recovery from a process that died', () => {
  it('re-issues a model request whose stream was in flight', async () => {
    const r = await rig(sequence([{ text: 'answer' }]));
    await r.send(userText('hi'));
    // What a dead process leaves: the turn started and a request span opened, nothing after.
    const [input] = await r.store.events.read(r.session.id);
    await r.store.events.append(r.session.id, [
      { body: { type: 'session.status_running' } },
      { processed: input!.event.id },
      { body: { type: 'span.model_request_start' }, internal: { purpose: 'turn' } },
    ]);
    await r.run();
    const events = await r.events();
    const ends = events.filter((e) => e.type === 'span.model_request_end');
    expect(ends.map((e) => e.type === 'span.model_request_end' && e.is_error)).toEqual([true, false]);
    expect(events.filter((e) => e.type === 'agent.message')).toHaveLength(1);
    expect(events.at(-1)!.type).toBe('session.status_idle');
    await r.close();
  });

  it('reports a non-idempotent call that was in flight as interrupted, and re-runs an idempotent one', async () => {
    const r = await rig((view) => ({ text: view.toolResults.map((t) => `${t.isError ? 'ERR' : 'OK'}`).join(',') }));
    await r.send(userText('hi'));
    const [input] = await r.store.events.read(r.session.id);
    const [bash, read] = (
      await r.store.events.append(r.session.id, [
        { body: { type: 'session.status_running' } },
        { processed: input!.event.id },
        { body: { type: 'span.model_request_start' } },
        { body: { type: 'agent.tool_use', name: 'write', input: { file_path: 'a' }, evaluated_permission: 'allow', evaluation: { type: 'always_allow' } } },
        { body: { type: 'agent.tool_use', name: 'read', input: { file_path: 'a' }, evaluated_permission: 'allow', evaluation: { type: 'always_allow' } } },
      ])
    ).slice(3);
    await r.store.events.append(r.session.id, [
      { body: { type: 'span.model_request_end', model_request_start_id: 'x', is_error: false, model_usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } }, internal: { tool_uses: 2, purpose: 'turn' } },
    ]);
    await r.run();
    const events = await r.events();
    const results = events.filter((e) => e.type === 'agent.tool_result');
    expect(results.map((e) => e.type === 'agent.tool_result' && [e.tool_use_id, e.is_error])).toEqual([
      [bash!.event.id, true],
      [read!.event.id, false],
    ]);
    expect(r.tools.calls.map((c) => c.name)).toEqual(['read']);
    const last = events.filter((e) => e.type === 'agent.message').at(-1)!;
    expect(last.type === 'agent.message' && last.content[0]).toEqual({ type: 'text', text: 'ERR,OK' });
    await r.close();
  });

  it('ends a turn whose final answer was written but whose idle was not', async () => {
    const r = await rig(sequence([{ text: 'never asked' }]));
    await r.send(userText('hi'));
    const [input] = await r.store.events.read(r.session.id);
    await r.store.events.append(r.session.id, [
      { body: { type: 'session.status_running' } },
      { processed: input!.event.id },
      { body: { type: 'span.model_request_start' } },
      { body: { type: 'agent.message', content: [{ type: 'text', text: 'done' }] } },
      { body: { type: 'span.model_request_end', model_request_start_id: 'x', is_error: false, model_usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } }, internal: { tool_uses: 0, purpose: 'turn' } },
    ]);
    await r.run();
    expect(r.model.requests).toHaveLength(0);
    const types = await r.types();
    expect(types.slice(-3)).toEqual(['session.thread_status_idle', 'session.usage', 'session.status_idle']);
    await r.close();
  });

  it('never lets a run that lost its lease write again', async () => {
    const r = await rig(sequence([{ text: 'late', delayMs: 50 }]));
    await r.send(userText('hi'));
    const lease = (await r.store.sessions.acquireLease(r.session.id, 'old', 20))!;
    const before = (await r.events()).length;
    const running = r.harness.run(r.session.id, lease, new AbortController().signal);
    await new Promise((resolve) => setTimeout(resolve, 40));
    await r.store.sessions.acquireLease(r.session.id, 'new', 60_000);
    await running;
    const after = await r.events();
    expect(after.filter((e) => e.type === 'agent.message')).toHaveLength(0);
    // Whatever it wrote happened before the lease moved; nothing after.
    expect(after.length).toBeLessThan(before + 6);
    const attempt = await r.store.events.append(r.session.id, [{ body: { type: 'agent.thinking' } }], { fence: lease }).catch((e: unknown) => e);
    expect(isLeaseLost(attempt)).toBe(true);
    await r.close();
  });
});
