import { primaryThreadId, type EventBody, type Session, type SessionStatus } from '@longhand/protocol';
import type { AppendOptions, EventDraft, Fence, StoredEvent } from '@longhand/store';
import { hasRestore } from '../effective-log.js';
import { centsOf } from '../pricing.js';
import { SessionState } from '../session-state.js';
import type { HarnessDeps } from './harness-deps.js';

/** Stop reasons after which the turn is over (not waiting for the client or the budget). */
/** Stop reasons that end a turn: the session goes idle with the turn's checkpoint. */
export const TURN_OVER: ReadonlySet<string> = new Set(['end_turn', 'retries_exhausted', 'refusal']);

/**
 * One run of one session: the fenced writer and the folded state, kept in step. Every append
 * goes through here, and the state is caught up from the log after it, so what the harness
 * decides next is always what the log says.
 */
export class TurnContext {
  /** Seq of the log when this run began: tool calls made before it were started by an earlier process. */
  startSeq = 0;
  session!: Session;

  /** The session's state, folded from its log; replaced whole when a restore arrives. */
  state = new SessionState();

  constructor(
    readonly deps: HarnessDeps,
    readonly sessionId: string,
    readonly fence: Fence,
  ) {}

  /** Reads the whole log into the state and notes where this run begins. */
  async begin(): Promise<void> {
    this.state = SessionState.load(await this.readAfter(0));
    this.startSeq = this.state.lastSeq;
  }

  /** Reads what the log gained since the state last saw it. */
  async catchUp(): Promise<void> {
    const fresh = await this.readAfter(this.state.lastSeq);
    if (hasRestore(fresh)) this.state = SessionState.load(await this.readAfter(0));
    else for (const stored of fresh) this.state.apply(stored);
  }

  private async readAfter(seq: number): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    for (let after = seq; ; ) {
      const batch = await this.deps.log.read(this.sessionId, { afterSeq: after, limit: 1000, withRedeliveries: true });
      out.push(...batch);
      if (batch.length < 1000) return out;
      after = batch[batch.length - 1]!.seq;
    }
  }

  /** Re-reads the session row: tools, budget and agent may have changed between steps. */
  async refreshSession(): Promise<boolean> {
    const record = await this.deps.sessions.get(this.sessionId);
    if (!record) return false;
    this.session = record.session;
    return true;
  }

  /**
   * Appends under the lease, then catches the state up. Every write of the harness goes through
   * here, so this is also where the end of a turn is noticed (for the automatic checkpoint).
   */
  async append(drafts: EventDraft[], options: Omit<AppendOptions, 'fence'> = {}): Promise<StoredEvent[]> {
    const endsTurn = drafts.some((d) => 'body' in d && d.body.type === 'session.status_idle' && TURN_OVER.has(d.body.stop_reason.type));
    const checkpoints = endsTurn ? this.deps.checkpoints : undefined;
    const frozen = checkpoints ? await checkpoints.freeze(this.sessionId).catch((error: unknown) => this.logCheckpoint(error)) : undefined;
    const stored = await this.deps.log.append(this.sessionId, drafts, { ...options, fence: this.fence });
    await this.catchUp();
    const idle = stored.find((s) => s.event.type === 'session.status_idle');
    if (checkpoints && frozen !== undefined && idle) await checkpoints.record(this.sessionId, idle.seq, frozen).catch((error: unknown) => this.logCheckpoint(error));
    return stored;
  }

  private logCheckpoint(error: unknown): undefined {
    this.deps.logger?.(`session ${this.sessionId}: the checkpoint at the end of the turn failed: ${(error as Error).message}`);
    return undefined;
  }

  get threadId(): string {
    return primaryThreadId(this.sessionId);
  }

  get agentName(): string {
    return this.session.agent.name;
  }

  /** The events that move the session (and its primary thread) to running. */
  runningEvents(): EventDraft[] {
    return [
      { body: { type: 'session.status_running' } },
      { body: { type: 'session.thread_status_running', session_thread_id: this.threadId, agent_name: this.agentName } },
    ];
  }

  /** Thread idle, the usage snapshot, then the session idle: the tail of every turn (spec 5.2). */
  idleEvents(stop: Extract<EventBody, { type: 'session.status_idle' }>['stop_reason'], details: Extract<EventBody, { type: 'session.status_idle' }>['stop_details'] = null): EventDraft[] {
    return [
      { body: { type: 'session.thread_status_idle', session_thread_id: this.threadId, agent_name: this.agentName, stop_reason: stop, stop_details: details } },
      this.usageEvent(),
      { body: { type: 'session.status_idle', stop_reason: stop, stop_details: details } },
    ];
  }

  usageEvent(): EventDraft {
    const u = this.state.usage;
    return {
      body: {
        type: 'session.usage',
        usage: {
          input_tokens: u.input_tokens,
          output_tokens: u.output_tokens,
          cache_read_input_tokens: u.cache_read_input_tokens,
          cache_creation: { ephemeral_5m_input_tokens: u.cache_creation_input_tokens },
          list_cost: { amount: centsOf(u.costMicros), currency: 'USD' },
          server_tool_use: { web_search_requests: u.webSearchRequests, web_fetch_requests: u.webFetchRequests },
        },
        budget: this.session.budget,
      },
      internal: { cost_micros: u.costMicros },
    };
  }

  /** Processed marks for queued client events. */
  processed(events: readonly StoredEvent[]): EventDraft[] {
    return events.map((stored) => ({ processed: stored.event.id }));
  }

  statusIs(status: SessionStatus): boolean {
    return this.session.status === status;
  }
}
