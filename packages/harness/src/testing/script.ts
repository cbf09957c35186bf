/**
 * What a scripted model does for one request. Used by the in-process `ScriptedModel` and by the
 * scripted HTTP servers that speak the Messages API and chat-completions formats.
 */
export type ScriptedReply =
  | {
      text?: string;
      /** Thinking text, sent before the answer (with a fake signature). */
      thinking?: string;
      toolUses?: Array<{ name: string; input: Record<string, unknown> }>;
      stopReason?: 'end_turn' | 'tool_use' | 'max_tokens' | 'pause_turn' | 'model_context_window_exceeded';
      usage?: { input_tokens?: number; output_tokens?: number; cache_read_input_tokens?: number; cache_creation_input_tokens?: number };
      /** Wait before answering, and split text into this many deltas with `chunkDelayMs` between. */
      delayMs?: number;
      chunks?: number;
      chunkDelayMs?: number;
    }
  | { error: { status: number; type?: string; message?: string; retryAfterSeconds?: number } }
  /** Send part of the response, then drop the connection. */
  | { cut: true; text?: string }
  /** Never answer (until the client gives up). */
  | { hang: true }
  | { refusal: { category: string | null; explanation: string | null }; text?: string };

/** What a script sees of a request, the same whichever format carried it. */
export interface ScriptView {
  /** The text of the last user message (tool results excluded). */
  lastUserText: string;
  /** Results of the tool calls answered in the last user message. */
  toolResults: Array<{ toolUseId: string; text: string; isError: boolean }>;
  /** Every user text of the conversation, oldest first. */
  userTexts: string[];
  system: string;
  toolNames: string[];
  /** How many assistant messages the conversation already has. */
  assistantTurns: number;
  /** The raw request body or request object. */
  raw: unknown;
}

export type Script = (view: ScriptView, callIndex: number) => ScriptedReply | Promise<ScriptedReply>;

/** A script that plays replies in order (the last one repeats). */
export function sequence(replies: ScriptedReply[]): Script {
  return (_view, index) => replies[Math.min(index, replies.length - 1)]!;
}

type Block = { type: string; text?: string; tool_use_id?: string; content?: unknown; is_error?: boolean };

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Block[]).flatMap((b) => (b.type === 'text' && typeof b.text === 'string' ? [b.text] : [])).join('\n');
}

/** Builds the script's view from Messages-API-shaped messages (also used for the in-process model). */
export function viewOf(messages: Array<{ role: string; content: unknown }>, system: string, toolNames: string[], raw: unknown): ScriptView {
  const userTexts: string[] = [];
  let lastUserText = '';
  let toolResults: ScriptView['toolResults'] = [];
  for (const message of messages) {
    if (message.role !== 'user') continue;
    const blocks = Array.isArray(message.content) ? (message.content as Block[]) : [{ type: 'text', text: String(message.content) }];
    const text = blocks.filter((b) => b.type === 'text').map((b) => b.text ?? '').join('\n');
    if (text) {
      userTexts.push(text);
      lastUserText = text;
    }
    const results = blocks.filter((b) => b.type === 'tool_result');
    toolResults = results.map((b) => ({ toolUseId: b.tool_use_id ?? '', text: textOf(b.content), isError: Boolean(b.is_error) }));
  }
  return {
    lastUserText,
    toolResults,
    userTexts,
    system,
    toolNames,
    assistantTurns: messages.filter((m) => m.role === 'assistant').length,
    raw,
  };
}
