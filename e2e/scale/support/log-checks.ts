import { expect } from 'vitest';

/** A row of the events table, as the checks read it. */
export interface LogRow {
  seq: number;
  id: string;
  type: string;
  redelivery: number;
  body: string;
}

/**
 * Checks that a session's log is whole and exact, whatever happened to the processes that wrote
 * it: seqs 1..n, no event twice, one result per tool use, one end per request span, each client
 * message taken up once, the expected answers in order, and an idle after the last turn.
 */
export function expectExactLog(sessionId: string, rows: LogRow[], answers: string[]): void {
  const where = `session ${sessionId}`;
  expect(rows.map((r) => Number(r.seq)), where).toEqual(rows.map((_, i) => i + 1));
  const firsts = rows.filter((r) => Number(r.redelivery) === 0).map((r) => r.id);
  expect(new Set(firsts).size, where).toBe(firsts.length);
  const redelivered = rows.filter((r) => Number(r.redelivery) === 1).map((r) => r.id);
  expect(new Set(redelivered).size, where).toBe(redelivered.length);
  const uses = rows.filter((r) => r.type === 'agent.tool_use').map((r) => r.id);
  const results = rows.filter((r) => r.type === 'agent.tool_result').map((r) => JSON.parse(r.body).tool_use_id as string);
  expect([...results].sort(), where).toEqual([...uses].sort());
  const starts = rows.filter((r) => r.type === 'span.model_request_start').map((r) => r.id);
  const ends = rows.filter((r) => r.type === 'span.model_request_end').map((r) => JSON.parse(r.body).model_request_start_id as string);
  expect([...ends].sort(), where).toEqual([...starts].sort());
  expect(rows.filter((r) => r.type === 'user.message' && Number(r.redelivery) === 1), where).toHaveLength(answers.length);
  const finals = rows
    .filter((r) => r.type === 'agent.message')
    .map((r) => (JSON.parse(r.body).content as Array<{ text: string }>)[0]!.text)
    .filter((text) => text.startsWith('DONE'));
  expect(finals, where).toEqual(answers);
  const last = rows.at(-1)!;
  expect([last.type, JSON.parse(last.body).stop_reason?.type], where).toEqual(['session.status_idle', 'end_turn']);
}
