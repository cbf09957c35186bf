import type { SessionEvent } from '@longhand/protocol';
import { describe, expect, it } from 'vitest';
import { lastStatus, pendingActions } from '../src/pages/session/session-facts.js';
import { buildRows } from '../src/pages/session/timeline-rows.js';
import { usageSeries } from '../src/pages/session/usage-series.js';

const at = (second: number) => `2026-01-01T00:00:${String(second).padStart(2, '0')}.000Z`;
const usage = { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 5, cache_read_input_tokens: 50 };
const PRIMARY = 'sthr_X';

const events: SessionEvent[] = [
  { id: 'u1', type: 'user.message', content: [{ type: 'text', text: 'check the disk' }], processed_at: at(1) },
  { id: 'r1', type: 'session.status_running', processed_at: at(1) },
  { id: 't1', type: 'session.thread_status_running', session_thread_id: PRIMARY, agent_name: 'a', processed_at: at(1) },
  { id: 's1', type: 'span.model_request_start', processed_at: at(2) },
  { id: 'm1', type: 'agent.message', content: [{ type: 'text', text: 'Looking' }], processed_at: at(3) },
  { id: 'b1', type: 'agent.tool_use', name: 'bash', input: { command: 'df' }, evaluated_permission: 'ask', evaluation: { type: 'always_ask' }, processed_at: at(3) },
  { id: 'w1', type: 'agent.custom_tool_use', name: 'get_weather', input: { city: 'Lisbon' }, processed_at: at(3) },
  { id: 'e1', type: 'span.model_request_end', model_request_start_id: 's1', is_error: false, model_usage: usage, processed_at: at(4) },
  { id: 'g1', type: 'session.usage', usage: { input_tokens: 100, list_cost: { amount: '3', currency: 'USD' } }, processed_at: at(4) },
  { id: 'i1', type: 'session.status_idle', stop_reason: { type: 'requires_action', event_ids: ['b1', 'w1'] }, stop_details: null, processed_at: at(4) },
];

describe('buildRows', () => {
  it('joins spans, results and confirmations to their rows and hides usage and primary-thread status', () => {
    const more: SessionEvent[] = [
      ...events,
      { id: 'c1', type: 'user.tool_confirmation', tool_use_id: 'b1', result: 'allow', processed_at: at(5) },
      { id: 'x1', type: 'agent.tool_result', tool_use_id: 'b1', content: [{ type: 'text', text: '38G free' }], is_error: false, processed_at: at(6) },
    ];
    const rows = buildRows(more, [], PRIMARY);
    expect(rows.map((row) => [row.kind, row.ids])).toEqual([
      ['message', ['u1']],
      ['status', ['r1']],
      ['span', ['s1', 'e1']],
      ['message', ['m1']],
      ['tool', ['b1', 'c1', 'x1']],
      ['tool', ['w1']],
      ['status', ['i1']],
    ]);
  });

  it('gives an answer whose call is not in the feed a row of its own, so nothing is dropped', () => {
    const rows = buildRows([{ id: 'x9', type: 'agent.tool_result', tool_use_id: 'gone', content: [], processed_at: at(1) }], [], PRIMARY);
    expect(rows).toMatchObject([{ kind: 'note', ids: ['x9'] }]);
  });

  it('shows threads other than the primary one, and previews last', () => {
    const rows = buildRows(
      [{ id: 't2', type: 'session.thread_status_idle', session_thread_id: 'sthr_child', agent_name: 'helper', stop_reason: { type: 'end_turn' }, stop_details: null, processed_at: at(1) }],
      [{ id: 'p', type: 'agent.message', text: 'Hel' }],
      PRIMARY,
    );
    expect(rows.map((row) => row.kind)).toEqual(['status', 'preview']);
  });
});

describe('pendingActions', () => {
  it('lists the confirmations and custom tool calls named by the last idle, minus those answered', () => {
    const pending = pendingActions(events);
    expect(pending.confirmations.map((use) => use.id)).toEqual(['b1']);
    expect(pending.customCalls.map((use) => use.id)).toEqual(['w1']);
    const answered = pendingActions([...events, { id: 'a1', type: 'user.custom_tool_result', custom_tool_use_id: 'w1', content: [], processed_at: at(5) }]);
    expect(answered.customCalls).toEqual([]);
    expect(answered.confirmations.map((use) => use.id)).toEqual(['b1']);
  });

  it('has nothing pending once the session runs again', () => {
    const running = [...events, { id: 'r2', type: 'session.status_running', processed_at: at(6) } as SessionEvent];
    expect(pendingActions(running)).toEqual({ confirmations: [], customCalls: [] });
    expect(lastStatus(running)?.status).toBe('running');
  });
});

describe('usageSeries', () => {
  it('sums tokens per request into a running total and follows the reported cost', () => {
    const series = usageSeries([...events, { id: 'e2', type: 'span.model_request_end', model_request_start_id: 's2', is_error: false, model_usage: usage, processed_at: at(8) }]);
    expect(series.requests.map((point) => point.total)).toEqual([175, 350]);
    expect(series.cost).toEqual([{ t: Date.parse(at(4)), cents: 3 }]);
    expect(series.totals).toEqual({ input: 200, output: 40, cacheRead: 100, cacheWrite: 10, cents: 3, requests: 2 });
  });
});
