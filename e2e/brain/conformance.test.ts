import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { say, startBrain, texts, untilSettled, WEATHER_TOOL, type BrainRig } from '../support/brain.js';

/**
 * The minimal conformance flow of spec §6, steps 4–7, through the official SDK, with a scripted
 * model and real sandboxed tools: a custom tool, a bash call that needs confirmation, history and
 * reconnect checks, an interrupt during a running tool, and a denial.
 */
function script(view: { lastUserText: string; toolResults: Array<{ text: string; isError: boolean }>; assistantTurns: number }) {
  const task = view.lastUserText;
  if (task.includes('get_weather')) {
    // One step per model request: the custom tool, then bash, then the summary.
    if (view.assistantTurns === 0) return { text: 'Checking the weather.', toolUses: [{ name: 'get_weather', input: { city: 'Paris' } }] };
    if (view.assistantTurns === 1) return { toolUses: [{ name: 'bash', input: { command: 'echo hi' } }] };
    return { text: `Summary: bash said ${view.toolResults[0]?.text.trim()}`, chunks: 3 };
  }
  if (task.includes('Count slowly')) {
    if (view.toolResults.length === 0) return { toolUses: [{ name: 'bash', input: { command: 'for i in $(seq 1 500); do echo $i; sleep 1; done' } }] };
    return { text: 'stopped counting' };
  }
  if (task.includes('remove')) {
    if (view.toolResults.length === 0) return { toolUses: [{ name: 'bash', input: { command: 'rm -rf /workspace/*' } }] };
    return { text: `The user said: ${view.toolResults[0]!.text}` };
  }
  return { text: 'ok' };
}

let rig: BrainRig;
beforeAll(async () => {
  rig = await startBrain(script as never, {
    agent: {
      system: 'You are a test agent. Follow instructions exactly.',
      tools: [
        { type: 'agent_toolset_20260401', default_config: { permission_policy: { type: 'always_allow' } }, configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] },
        WEATHER_TOOL,
      ],
    },
  });
});
afterAll(async () => {
  await rig?.close();
});

describe('the conformance flow of spec §6', () => {
  it('answers a custom tool, confirms bash, keeps history consistent with the stream, and ends with end_turn', async () => {
    const id = await rig.session({ title: 'conformance' });
    const stream = await rig.client.beta.sessions.events.stream(id, { event_deltas: ['agent.message'] });
    const sent = await say(rig.client, id, 'Call get_weather for Paris, then run `echo hi` with bash, then summarize.');
    expect(sent.data?.[0]?.type).toBe('user.message');
    const seen = new Set<string>();
    let sawCustom = false;
    let sawAsk = false;
    const events = await untilSettled(stream as never, async (event) => {
      if (event.id) seen.add(event.id);
      if (event.type === 'agent.custom_tool_use') {
        sawCustom = true;
        await rig.client.beta.sessions.events.send(id, {
          events: [{ type: 'user.custom_tool_result', custom_tool_use_id: event.id, content: [{ type: 'text', text: '{"temp_c":18}' }] }],
        });
      }
      if (event.type === 'agent.tool_use' && event.evaluated_permission === 'ask') {
        sawAsk = true;
        expect(event.evaluation).toEqual({ type: 'always_ask' });
        await rig.client.beta.sessions.events.send(id, { events: [{ type: 'user.tool_confirmation', tool_use_id: event.id, result: 'allow' }] });
      }
    });
    expect(sawCustom && sawAsk).toBe(true);
    expect(events.some((e) => e.type === 'session.status_running')).toBe(true);
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
    const result = events.find((e) => e.type === 'agent.tool_result')!;
    expect(result.is_error).toBeFalsy();
    expect(result.content[0].text).toContain('hi');
    expect(texts(events).at(-1)).toBe('Summary: bash said hi');
    // History: no previews, the custom tool use and the confirmation are there, stream ids ⊆ history ids.
    const history: Array<{ id: string; type: string }> = [];
    for await (const event of rig.client.beta.sessions.events.list(id, { limit: 3 })) history.push(event as never);
    expect(history.every((e) => e.type !== 'event_start' && e.type !== 'event_delta')).toBe(true);
    expect(history.some((e) => e.type === 'agent.custom_tool_use') && history.some((e) => e.type === 'user.tool_confirmation')).toBe(true);
    expect([...seen].every((seenId) => history.some((e) => e.id === seenId))).toBe(true);
    const messages = [];
    for await (const event of rig.client.beta.sessions.events.list(id, { types: ['agent.message'] })) messages.push(event);
    expect(messages.length).toBeGreaterThan(0);
  });

  it('stops a running bash command at once on interrupt, with end_turn and an interrupted result', async () => {
    const id = await rig.session();
    const stream = await rig.client.beta.sessions.events.stream(id);
    await say(rig.client, id, 'Count slowly from 1 to 500 using bash sleep 1 between numbers.');
    let interrupted = false;
    const events = await untilSettled(stream as never, async (event) => {
      if (event.type === 'agent.tool_use' && event.evaluated_permission === 'ask') {
        await rig.client.beta.sessions.events.send(id, { events: [{ type: 'user.tool_confirmation', tool_use_id: event.id, result: 'allow' }] });
      }
      // Interrupt once the command is running (its confirmation was taken up).
      if (!interrupted && event.type === 'user.tool_confirmation' && event.processed_at) {
        interrupted = true;
        await new Promise((resolve) => setTimeout(resolve, 300));
        await rig.client.beta.sessions.events.send(id, { events: [{ type: 'user.interrupt' }] });
      }
    });
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
    const result = events.find((e) => e.type === 'agent.tool_result')!;
    expect(result.is_error).toBe(true);
    expect(texts(events)).toEqual([]);
    let session = await rig.client.beta.sessions.retrieve(id);
    for (let i = 0; i < 10 && session.status === 'running'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      session = await rig.client.beta.sessions.retrieve(id);
    }
    expect(session.status).toBe('idle');
    expect(typeof session.stats).toBe('object');
  });

  it('does not run a denied command and gives the model the deny message', async () => {
    const id = await rig.session();
    const stream = await rig.client.beta.sessions.events.stream(id);
    await say(rig.client, id, 'remove everything');
    const events = await untilSettled(stream as never, async (event) => {
      if (event.type === 'agent.tool_use' && event.evaluated_permission === 'ask') {
        await rig.client.beta.sessions.events.send(id, {
          events: [{ type: 'user.tool_confirmation', tool_use_id: event.id, result: 'deny', deny_message: 'never delete the workspace' }],
        });
      }
    });
    const result = events.find((e) => e.type === 'agent.tool_result')!;
    expect(result.is_error).toBe(true);
    expect(texts(events).at(-1)).toContain('never delete the workspace');
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
  });
});
