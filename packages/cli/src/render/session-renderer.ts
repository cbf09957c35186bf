import { MarkdownStream } from './markdown.js';
import type { Style } from './style.js';

type Event = Record<string, any> & { type: string };

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function summary(input: unknown, max = 120): string {
  const value = input as Record<string, unknown>;
  const main = value && typeof value === 'object' ? (value.command ?? value.file_path ?? value.pattern ?? value.url ?? value.query) : undefined;
  const text = typeof main === 'string' ? main : JSON.stringify(input);
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function blocksText(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content.map((b: { type?: string; text?: string }) => (b.type === 'text' ? (b.text ?? '') : `[${b.type}]`)).join('\n');
}

/**
 * Shows a session's events in a terminal: agent text as markdown (streamed when previews are
 * on), tool calls and their results, thinking dimmed, a spinner while the model works, errors
 * and stop reasons. Knows nothing about HTTP; it is fed events.
 */
export class SessionRenderer {
  private spinner: NodeJS.Timeout | undefined;
  private frame = 0;
  private spinnerText = '';
  private streamed = new Set<string>();
  private streaming: { id: string; markdown: MarkdownStream } | undefined;
  readonly toolUses = new Map<string, Event>();

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly style: Style,
    private readonly options: { showUserMessages: boolean },
  ) {}

  handle(event: Event): void {
    const { style } = this;
    switch (event.type) {
      case 'user.message':
        if (this.options.showUserMessages && event.processed_at) this.print(`${style.bold('you')} ${blocksText(event.content)}`);
        break;
      case 'session.status_running':
      case 'span.model_request_start':
        this.spin('working');
        break;
      case 'event_start':
        if (event.event.type === 'agent.thinking') this.spin('thinking');
        else {
          this.stopSpinner();
          this.streaming = { id: event.event.id, markdown: new MarkdownStream(style) };
          this.streamed.add(event.event.id);
        }
        break;
      case 'event_delta':
        if (this.streaming && this.streaming.id === event.event_id) this.out.write(this.streaming.markdown.push(event.delta.content.text));
        break;
      case 'agent.thinking':
        this.print(style.dim(style.italic('(thought for a moment)')));
        break;
      case 'agent.message':
        if (this.streaming && this.streaming.id === event.id) {
          this.out.write(this.streaming.markdown.end());
          this.streaming = undefined;
        } else if (!this.streamed.has(event.id)) {
          const markdown = new MarkdownStream(style);
          this.print((markdown.push(blocksText(event.content)) + markdown.end()).replace(/\n$/, ''));
        }
        break;
      case 'agent.tool_use':
      case 'agent.custom_tool_use':
      case 'agent.mcp_tool_use': {
        this.toolUses.set(event.id, event);
        const ask = event.evaluated_permission === 'ask' ? style.yellow(' (needs your confirmation)') : '';
        const custom = event.type === 'agent.custom_tool_use' ? style.yellow(' (your tool)') : '';
        this.print(`${style.cyan(`▸ ${event.name}`)} ${style.dim(summary(event.input))}${ask}${custom}`);
        break;
      }
      case 'agent.tool_result':
      case 'agent.mcp_tool_result':
      case 'user.custom_tool_result': {
        const text = blocksText(event.content).trimEnd();
        const lines = text === '' ? ['(no output)'] : text.split('\n');
        const shown = lines.slice(0, 8).map((line) => `  ${line.length > 160 ? `${line.slice(0, 159)}…` : line}`);
        if (lines.length > 8) shown.push(`  … ${lines.length - 8} more lines`);
        this.print(event.is_error ? style.red(shown.join('\n')) : style.dim(shown.join('\n')));
        break;
      }
      case 'agent.thread_context_compacted':
        this.print(style.dim('(context compacted)'));
        break;
      case 'session.error':
        this.print(style.red(`error: ${event.error.message} [${event.error.retry_status.type}]`));
        break;
      case 'session.status_rescheduled':
        this.spin('retrying');
        break;
      case 'session.status_idle':
        this.stopSpinner();
        if (event.stop_reason.type !== 'end_turn' && event.stop_reason.type !== 'requires_action') {
          this.print(style.yellow(`(stopped: ${event.stop_reason.type.replace(/_/g, ' ')})`));
        }
        break;
      case 'session.status_terminated':
        this.stopSpinner();
        this.print(style.red('(session terminated)'));
        break;
      default:
        break;
    }
  }

  /** Stops the spinner; call before prompting or exiting. */
  stopSpinner(): void {
    if (!this.spinner) return;
    clearInterval(this.spinner);
    this.spinner = undefined;
    this.out.write('\r\x1b[2K');
  }

  private spin(text: string): void {
    this.spinnerText = text;
    if (!this.out.isTTY || this.spinner || this.streaming) return;
    this.spinner = setInterval(() => {
      this.frame = (this.frame + 1) % FRAMES.length;
      this.out.write(`\r\x1b[2K${this.style.dim(`${FRAMES[this.frame]} ${this.spinnerText}`)}`);
    }, 80);
  }

  private print(text: string): void {
    const wasSpinning = this.spinner !== undefined;
    this.stopSpinner();
    this.out.write(`${text}\n`);
    if (wasSpinning) this.spin(this.spinnerText);
  }
}
