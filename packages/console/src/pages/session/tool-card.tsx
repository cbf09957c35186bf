import type { ToolResultContentBlockT } from '@longhand/protocol';
import { FoldedText, JsonView } from '../../ui/fold.js';
import type { Row } from './timeline-rows.js';

type ToolRow = Extract<Row, { kind: 'tool' }>;

/** The text of result blocks; non-text blocks are named, not rendered. */
export function resultText(content: readonly ToolResultContentBlockT[] | undefined): string {
  if (!content || content.length === 0) return '(no output)';
  return content
    .map((block) => {
      if (block.type === 'text') return block.text;
      if (block.type === 'search_result') return `[search result: ${block.title}]`;
      return `[${block.type}]`;
    })
    .join('\n');
}

function stateOf(row: ToolRow, pending: boolean): { label: string; tone: string } {
  const { use, result, confirmation } = row;
  if (result) return result.is_error ? { label: 'error', tone: 'bad' } : { label: 'done', tone: 'good' };
  if (confirmation?.result === 'deny') return { label: 'denied', tone: 'bad' };
  if (use.type !== 'agent.custom_tool_use' && use.evaluated_permission === 'deny') return { label: 'denied by policy', tone: 'bad' };
  if (pending) return { label: use.type === 'agent.custom_tool_use' ? 'waiting for your result' : 'waiting for your approval', tone: 'warn' };
  if (confirmation?.result === 'allow') return { label: 'approved, running', tone: 'info' };
  return { label: 'running', tone: 'info' };
}

/** A tool call with its input, its answer and its result, as one card of the timeline. */
export function ToolCard({ row, pending }: { row: ToolRow; pending: boolean }) {
  const { use, result, confirmation } = row;
  const state = stateOf(row, pending);
  const kind = use.type === 'agent.custom_tool_use' ? 'custom tool' : use.type === 'agent.mcp_tool_use' ? `MCP · ${use.mcp_server_name}` : 'built-in tool';
  return (
    <div className={`tool-card tone-${state.tone}`}>
      <div className="tool-head">
        <span className="tool-name">{use.name}</span>
        <span className="muted">{kind}</span>
        {use.type !== 'agent.custom_tool_use' && use.evaluated_permission && (
          <span className={`chip perm-${use.evaluated_permission}`} title="evaluated permission">
            {use.evaluated_permission}
          </span>
        )}
        <span className={`chip state-${state.tone}`}>{state.label}</span>
      </div>
      <div className="tool-section">
        <span className="section-label">Input</span>
        <JsonView value={use.input} lines={10} />
      </div>
      {confirmation && (
        <p className="tool-answer">
          {confirmation.result === 'allow' ? 'You approved this call.' : `You denied this call${confirmation.deny_message ? `: “${confirmation.deny_message}”` : '.'}`}
        </p>
      )}
      {result && (
        <div className={`tool-section${result.is_error ? ' is-error' : ''}`}>
          <span className="section-label">{result.type === 'user.custom_tool_result' ? 'Your result' : 'Result'}{result.is_error ? ' (error)' : ''}</span>
          <FoldedText text={resultText(result.content)} lines={12} />
        </div>
      )}
    </div>
  );
}
