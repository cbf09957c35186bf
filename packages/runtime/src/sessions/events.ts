import {
  LonghandError,
  SETTLE_EVENT_TYPES,
  decodeCursor,
  encodeCursor,
  invalidRequest,
  isoNow,
  newId,
  notFound,
  type ClientEventParamsT,
  type CursorPage,
  type EventBody,
  type EventListQueryT,
  type SessionEvent,
} from '@longhand/protocol';
import type { NewEvent, SessionRecord, Store, Subscription, SubscriptionListener } from '@longhand/store';
import type { Caller } from '../caller.js';
import type { Files } from '../files/files.js';
import type { Waker } from '../scheduler/waker.js';
import { checkRequestShape, checkSystemWhileBlocked, referencedFiles } from './send-rules.js';
import { primaryThreadId } from './threads.js';

const RESULT_OF: Record<string, { refTypes: readonly string[]; label: string }> = {
  'user.tool_confirmation': { refTypes: ['agent.tool_use', 'agent.mcp_tool_use'], label: 'tool_use_id' },
  'user.custom_tool_result': { refTypes: ['agent.custom_tool_use'], label: 'custom_tool_use_id' },
  'user.tool_result': { refTypes: ['agent.tool_use'], label: 'tool_use_id' },
};

function refId(event: ClientEventParamsT): string | undefined {
  if (event.type === 'user.tool_confirmation' || event.type === 'user.tool_result') return event.tool_use_id;
  if (event.type === 'user.custom_tool_result') return event.custom_tool_use_id;
  return undefined;
}

/** Sending, listing and tailing a session's events (spec 2.5, 4). */
export class SessionEvents {
  constructor(
    private readonly store: Store,
    private readonly files: Files,
    private readonly waker: Waker,
    private readonly environmentType: (caller: Caller, environmentId: string) => Promise<string | undefined>,
  ) {}

  private async record(caller: Caller, id: string): Promise<SessionRecord> {
    const record = await this.store.sessions.get(id);
    if (!record || record.workspaceId !== caller.workspaceId) throw notFound('session', id);
    return record;
  }

  /**
   * Checks what can be checked of events before their session exists (the `initial_events` of a
   * create request): the request shape, the files they refer to, one outcome at most. Throws a 400
   * naming the field, so that a create request `send` would refuse stores no session.
   */
  async checkInitial(caller: Caller, events: readonly ClientEventParamsT[], root = 'initial_events'): Promise<void> {
    const where = (path: string) => path.replace(/^events/, root);
    try {
      checkRequestShape(events);
    } catch (error) {
      if (error instanceof LonghandError) throw invalidRequest(where(error.message));
      throw error;
    }
    for (const { fileId, where: field } of referencedFiles(events)) {
      if (!(await this.files.find(caller, fileId))) throw invalidRequest(`${where(field)}: file ${fileId} does not exist`);
    }
    const outcomes = events.flatMap((event, index) => (event.type === 'user.define_outcome' ? [index] : []));
    if (outcomes.length > 1) throw invalidRequest(`${root}[${outcomes[1]}]: one outcome at a time; define the next one after this one is evaluated`);
  }

  /**
   * Validates and appends client events, then wakes the scheduler. Returns the persisted echo
   * of each event in input order. A repeated answer to an already answered tool use is a no-op
   * that echoes the first answer (the SDK may deliver a send twice).
   */
  async send(caller: Caller, sessionId: string, events: readonly ClientEventParamsT[]): Promise<SessionEvent[]> {
    const { session } = await this.record(caller, sessionId);
    if (session.archived_at) throw new LonghandError('session_archived', `session ${sessionId} is archived; it accepts no events`, { retryable: false });
    if (session.status === 'terminated') throw new LonghandError('state_conflict', `session ${sessionId} is terminated; it accepts no events`, { retryable: false });
    checkRequestShape(events);
    for (const { fileId, where } of referencedFiles(events)) {
      if (!(await this.files.find(caller, fileId))) throw invalidRequest(`${where}: file ${fileId} does not exist`);
    }
    const running = session.status === 'running' || session.status === 'rescheduling';
    const stopReason = running ? undefined : await this.lastStopReason(sessionId);
    const paused = stopReason === 'budget_reached';
    if (stopReason === 'requires_action') checkSystemWhileBlocked(events);
    const echoes: Array<SessionEvent | NewEvent> = [];
    const drafts: NewEvent[] = [];
    const activeOutcome = session.outcome_evaluations.some((o) => !o.completed_at);
    let outcomes = session.outcome_evaluations;
    // Answers given earlier in this same request: a repeat is a no-op, as across requests.
    const answered = new Map<string, NewEvent>();
    for (const [index, event] of events.entries()) {
      const where = `events[${index}]`;
      if (paused && !SETTLE_EVENT_TYPES.has(event.type)) {
        throw invalidRequest(
          `${where}: the session is paused at its budget; only user.tool_confirmation, user.tool_result, user.custom_tool_result and user.interrupt are accepted. Raise or remove the budget to continue.`,
        );
      }
      const ref = refId(event);
      if (ref !== undefined) {
        const earlier = await this.checkAnswer(caller, sessionId, session.environment_id, event, ref, where);
        const inRequest = answered.get(`${event.type} ${ref}`);
        if (earlier ?? inRequest) {
          echoes.push((earlier ?? inRequest)!);
          continue;
        }
      }
      if (event.type === 'user.interrupt') {
        if (event.session_thread_id && event.session_thread_id !== primaryThreadId(sessionId)) {
          throw invalidRequest(`${where}.session_thread_id: thread ${event.session_thread_id} does not belong to this session`);
        }
        if (paused) {
          // Accepted and ignored, not persisted (spec 5.6).
          echoes.push({ ...event, id: newId('event'), processed_at: isoNow() } as SessionEvent);
          continue;
        }
      }
      let body: EventBody;
      let processedAt: string | null = null;
      if (event.type === 'user.define_outcome') {
        if (activeOutcome || outcomes.some((o) => !o.completed_at)) {
          throw invalidRequest(`${where}: an outcome is already being worked on; send the next one after it is evaluated`);
        }
        const outcomeId = newId('outcome');
        body = { type: 'user.define_outcome', outcome_id: outcomeId, description: event.description, rubric: event.rubric, max_iterations: event.max_iterations ?? 3 };
        processedAt = isoNow();
        outcomes = [
          ...outcomes,
          { type: 'outcome_evaluation', outcome_id: outcomeId, description: event.description, iteration: 0, result: 'pending', explanation: null, completed_at: null },
        ];
      } else {
        body = event as EventBody;
        if (event.type === 'user.custom_tool_result' || event.type === 'user.tool_result') processedAt = isoNow();
        if (event.type === 'user.interrupt' && !running) processedAt = isoNow();
      }
      const draft: NewEvent = { body, id: newId('event'), processedAt };
      drafts.push(draft);
      echoes.push(draft);
      if (ref !== undefined) answered.set(`${event.type} ${ref}`, draft);
    }
    if (outcomes !== session.outcome_evaluations) await this.store.sessions.update(sessionId, { outcomeEvaluations: outcomes });
    const wake = drafts.some((draft) => draft.body.type !== 'system.message' && !(draft.body.type === 'user.interrupt' && !running));
    const stored = drafts.length > 0 ? await this.store.events.append(sessionId, drafts, { wake }) : [];
    if (wake) this.waker.wake(sessionId);
    const byId = new Map(stored.map((s) => [s.event.id, s.event]));
    return echoes.map((echo) => ('body' in echo ? byId.get(echo.id!)! : echo));
  }

  /** Checks an answer to a tool use; returns the earlier answer when this one repeats it. */
  private async checkAnswer(
    caller: Caller,
    sessionId: string,
    environmentId: string,
    event: ClientEventParamsT,
    ref: string,
    where: string,
  ): Promise<SessionEvent | undefined> {
    const rule = RESULT_OF[event.type]!;
    if (event.type === 'user.tool_result' && (await this.environmentType(caller, environmentId)) !== 'self_hosted') {
      throw invalidRequest(`${where}: user.tool_result is only accepted on self_hosted environments`);
    }
    const use = await this.store.events.findById(sessionId, ref);
    if (!use || !rule.refTypes.includes(use.event.type)) {
      throw invalidRequest(`${where}.${rule.label}: ${ref} is not the id of a ${rule.refTypes.join(' or ')} event of this session`);
    }
    if (event.type === 'user.tool_confirmation' && (use.event as { evaluated_permission?: string }).evaluated_permission !== 'ask') {
      throw invalidRequest(`${where}.tool_use_id: ${ref} does not await confirmation (its evaluated_permission is not ask)`);
    }
    const answers = await this.store.events.findByRef(sessionId, ref);
    return answers.find((answer) => answer.event.type === event.type)?.event;
  }

  /** Why the session last went idle (`budget_reached`, `requires_action`, …), if it ever did. */
  private async lastStopReason(sessionId: string): Promise<string | undefined> {
    const [last] = await this.store.events.read(sessionId, { types: ['session.status_idle'], order: 'desc', limit: 1 });
    return last?.event.type === 'session.status_idle' ? last.event.stop_reason.type : undefined;
  }

  /** A page of history, oldest first by default; `next_page` is null on the last page. */
  async list(caller: Caller, sessionId: string, query: EventListQueryT): Promise<CursorPage<SessionEvent>> {
    await this.record(caller, sessionId);
    const order = query.order ?? 'asc';
    const limit = query.limit ?? 1000;
    const cursor = query.page ? decodeCursor(query.page, order) : undefined;
    if (cursor && typeof cursor.after !== 'number') throw invalidRequest('page is not a valid page cursor');
    const rows = await this.store.events.read(sessionId, {
      order,
      limit: limit + 1,
      ...(cursor ? { afterSeq: cursor.after as number } : {}),
      ...(query.types && query.types.length > 0 ? { types: query.types } : {}),
      processedAt: { gt: query['created_at[gt]'], gte: query['created_at[gte]'], lt: query['created_at[lt]'], lte: query['created_at[lte]'] },
    });
    const data = rows.slice(0, limit);
    const last = data[data.length - 1];
    return {
      data: data.map((row) => row.event),
      next_page: rows.length > limit && last ? encodeCursor({ after: last.seq, order, dir: 'next' }) : null,
    };
  }

  /**
   * Follows a session live from now (or after the event `afterEventId`), delivering every new
   * event once and in order, redeliveries of processed client events included.
   */
  async tail(caller: Caller, sessionId: string, listener: SubscriptionListener, afterEventId?: string): Promise<Subscription> {
    const record = await this.record(caller, sessionId);
    let afterSeq = record.lastSeq;
    if (afterEventId) {
      const from = await this.store.events.findById(sessionId, afterEventId);
      if (from) afterSeq = from.seq;
    }
    return this.store.events.subscribe(sessionId, afterSeq, listener);
  }
}
