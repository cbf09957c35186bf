import { describe, expect, it } from 'vitest';
import { sequence } from '@longhand/harness/testing';
import { rig, TOOLSET, userText } from './support.js';
import { toAnthropicBody } from '../src/model/anthropic/anthropic-request.js';

describe('context', () => {
  it('honours a system.message for this and later turns, as a system-role turn', async () => {
    const r = await rig(sequence([{ text: 'first' }, { text: 'second' }]));
    await r.send(userText('hello'), { type: 'system.message', content: [{ type: 'text', text: 'Answer in French.' }] });
    await r.run();
    await r.send(userText('again'));
    await r.run();
    for (const request of r.model.requests) {
      const system = request.messages.filter((m) => m.role === 'system');
      expect(system).toEqual([{ role: 'system', content: [{ type: 'text', text: 'Answer in French.' }] }]);
    }
    await r.close();
  });

  it('applies tools and policies changed between turns to the rest of the session', async () => {
    const r = await rig((_view, call) => (call === 1 ? { toolUses: [{ name: 'read', input: {} }] } : { text: 'ok' }));
    await r.send(userText('one'));
    await r.run();
    expect(r.model.requests[0]!.tools.map((t) => t.name)).toContain('get_weather');
    const strict = { ...TOOLSET, default_config: { enabled: true, permission_policy: { type: 'always_ask' as const } }, configs: [] };
    await r.store.sessions.update(r.session.id, { agent: { ...r.session.agent, tools: [strict] } });
    await r.send(userText('two'));
    await r.run();
    expect(r.model.requests[1]!.tools.map((t) => t.name)).not.toContain('get_weather');
    const use = (await r.events()).find((e) => e.type === 'agent.tool_use')!;
    expect(use.type === 'agent.tool_use' && use.evaluated_permission).toBe('ask');
    await r.close();
  });

  it('puts prompt-cache breakpoints on the tools, the system prompt and the last user turns', () => {
    const body = toAnthropicBody(
      {
        model: { id: 'claude-sonnet-4-6' },
        system: 'sys',
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'a' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'b' }] },
          { role: 'user', content: [{ type: 'text', text: 'c' }] },
        ],
        tools: [
          { name: 't1', description: '', input_schema: {} },
          { name: 't2', description: '', input_schema: {} },
        ],
        maxTokens: 100,
        cacheAfter: [0, 2],
      },
      {},
    ) as { system: Array<Record<string, unknown>>; tools: Array<Record<string, unknown>>; messages: Array<{ content: Array<Record<string, unknown>> }> };
    expect(body.system[0]!.cache_control).toEqual({ type: 'ephemeral' });
    expect(body.tools.map((t) => t.cache_control)).toEqual([undefined, { type: 'ephemeral' }]);
    expect(body.messages.map((m) => m.content.at(-1)!.cache_control)).toEqual([{ type: 'ephemeral' }, undefined, { type: 'ephemeral' }]);
  });

  it('keeps reading the same prefix from one turn to the next', async () => {
    const r = await rig(sequence([{ text: 'one' }, { text: 'two' }, { text: 'three' }]));
    for (const text of ['a', 'b', 'c']) {
      await r.send(userText(text));
      await r.run();
    }
    const [, second, third] = r.model.requests;
    // What the second request cached (up to its last user turn) is a prefix of the third.
    const cachedUpTo = second!.cacheAfter.at(-1)!;
    expect(third!.messages.slice(0, cachedUpTo + 1)).toEqual(second!.messages.slice(0, cachedUpTo + 1));
    expect(third!.cacheAfter).toContain(cachedUpTo);
    await r.close();
  });
});
