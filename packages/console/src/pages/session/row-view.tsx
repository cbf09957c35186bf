import type { SessionEvent } from '@longhand/protocol';
import { memo } from 'react';
import { JsonView } from '../../ui/fold.js';
import { formatCount, formatDuration, formatTime } from '../../ui/format.js';
import { Markdown } from '../../ui/markdown-view.js';
import { restoredText } from './checkpoint-text.js';
import type { Row } from './timeline-rows.js';
import { ToolCard, resultText } from './tool-card.js';

function clock(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return null;
  return (
    <time className="row-time" dateTime={iso} title={formatTime(iso)}>
      {clock(iso)}
    </time>
  );
}

function messageText(event: SessionEvent): string {
  const content = (event as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((block) => (block.type === 'text' ? (block.text ?? '') : `*[${block.type}]*`)).join('\n\n');
}

function statusText(event: SessionEvent): { text: string; tone: string } {
  switch (event.type) {
    case 'session.status_running':
      return { text: 'Running', tone: 'info' };
    case 'session.status_rescheduled':
      return { text: 'Rescheduling after a transient failure', tone: 'warn' };
    case 'session.status_terminated':
      return { text: 'Terminated', tone: 'bad' };
    case 'session.status_idle': {
      const reason = event.stop_reason;
      if (reason.type === 'requires_action') return { text: `Idle: waiting for you (${reason.event_ids.length} action${reason.event_ids.length === 1 ? '' : 's'})`, tone: 'warn' };
      if (reason.type === 'end_turn') return { text: 'Idle: turn ended', tone: 'muted' };
      if (reason.type === 'retries_exhausted') return { text: 'Idle: retries exhausted', tone: 'bad' };
      if (reason.type === 'budget_reached') return { text: 'Idle: budget reached', tone: 'bad' };
      if (reason.type === 'refusal') {
        const details = event.stop_details;
        return { text: `Idle: the model refused${details?.explanation ? ` (${details.explanation})` : ''}`, tone: 'bad' };
      }
      return { text: `Idle: ${(reason as { type: string }).type}`, tone: 'muted' };
    }
    default: {
      const thread = event as { agent_name?: string; session_thread_id?: string };
      return { text: `Thread ${thread.agent_name ?? thread.session_thread_id ?? ''}: ${event.type.replace('session.thread_status_', '')}`, tone: 'muted' };
    }
  }
}

function noteText(event: SessionEvent): string | undefined {
  switch (event.type) {
    case 'user.interrupt':
      return 'You interrupted the agent.';
    case 'agent.thread_context_compacted':
      return 'The context was compacted to fit the model.';
    case 'system.message':
      return `System message: ${event.content.map((block) => block.text).join(' ')}`;
    case 'user.define_outcome':
      return `Outcome defined: ${event.description}`;
    case 'session.restored':
      return restoredText(event);
    case 'session.updated':
      return `Session updated${event.title !== undefined ? `: title “${event.title ?? ''}”` : ''}.`;
    case 'agent.tool_result':
    case 'agent.mcp_tool_result':
    case 'user.custom_tool_result':
    case 'user.tool_result':
      return `Result of a tool call not in view: ${resultText(event.content).slice(0, 300)}`;
    case 'user.tool_confirmation':
      return `You ${event.result === 'allow' ? 'approved' : 'denied'} a tool call not in view.`;
    default:
      return undefined;
  }
}

function SpanRow({ row }: { row: Extract<Row, { kind: 'span' }> }) {
  const { start, end } = row;
  const began = start.processed_at ? Date.parse(start.processed_at) : Number.NaN;
  const ended = end?.processed_at ? Date.parse(end.processed_at) : Number.NaN;
  const duration = end && end !== start ? formatDuration(ended - began) : undefined;
  if (start.type === 'span.outcome_evaluation_start') {
    const result = end?.type === 'span.outcome_evaluation_end' ? end.result : 'evaluating…';
    return (
      <div className="row-line span">
        <span>Outcome evaluation, iteration {start.iteration + 1}: {result}</span>
        {duration && <span className="muted">{duration}</span>}
        <Time iso={start.processed_at} />
      </div>
    );
  }
  const usage = end?.type === 'span.model_request_end' ? end.model_usage : undefined;
  const failed = end?.type === 'span.model_request_end' && end.is_error;
  return (
    <div className={`row-line span${failed ? ' is-error' : ''}`}>
      <span>{end ? (failed ? 'Model request failed' : 'Model request') : 'Model request in progress…'}</span>
      {duration && <span className="muted">{duration}</span>}
      {usage && (
        <span className="muted">
          {formatCount(usage.input_tokens)} in · {formatCount(usage.output_tokens)} out
          {usage.cache_read_input_tokens ? ` · ${formatCount(usage.cache_read_input_tokens)} cached` : ''}
        </span>
      )}
      <Time iso={start.processed_at} />
    </div>
  );
}

/** One timeline row. Memoised: rows are rebuilt on every change, but unchanged ones are equal. */
export const RowView = memo(function RowView({ row, pending }: { row: Row; pending: boolean }) {
  switch (row.kind) {
    case 'message': {
      const queued = row.role === 'user' && row.event.processed_at === null;
      return (
        <div className={`message from-${row.role}`}>
          <div className="message-head">
            <strong>{row.role === 'user' ? 'You' : 'Agent'}</strong>
            {queued && <span className="chip state-info">queued</span>}
            <Time iso={row.event.processed_at} />
          </div>
          <Markdown text={messageText(row.event)} />
        </div>
      );
    }
    case 'preview':
      return (
        <div className="message from-agent is-preview" aria-live="off">
          <div className="message-head">
            <strong>Agent</strong>
            <span className="chip state-info">writing…</span>
          </div>
          <Markdown text={row.preview.text || '…'} />
        </div>
      );
    case 'thinking':
      return (
        <details className="thinking">
          <summary>
            Thinking <Time iso={row.event.processed_at} />
          </summary>
          <p className="muted">The model thought before answering. Its thoughts are not part of the session's events.</p>
        </details>
      );
    case 'tool':
      return <ToolCard row={row} pending={pending} />;
    case 'span':
      return <SpanRow row={row} />;
    case 'status': {
      const { text, tone } = statusText(row.event);
      return (
        <div className={`row-line status tone-${tone}`}>
          <span className="dot" aria-hidden="true" />
          <span>{text}</span>
          <Time iso={row.event.processed_at} />
        </div>
      );
    }
    case 'error': {
      const { error } = row.event;
      const retry = error.retry_status.type;
      return (
        <div className="error-row" role="note">
          <div className="message-head">
            <strong>Error: {error.type}</strong>
            <span className={`chip retry-${retry}`}>{retry === 'retrying' ? 'retrying' : retry === 'exhausted' ? 'retries exhausted' : 'terminal'}</span>
            <Time iso={row.event.processed_at} />
          </div>
          <p>{error.message}</p>
        </div>
      );
    }
    case 'note': {
      const text = noteText(row.event);
      return (
        <div className={`row-line note${row.event.type === 'session.restored' ? ' restored' : ''}`}>
          {text ? <span>{text}</span> : (
            <details>
              <summary>{row.event.type}</summary>
              <JsonView value={row.event} />
            </details>
          )}
          <Time iso={row.event.processed_at} />
        </div>
      );
    }
  }
});
