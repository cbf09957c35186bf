/**
 * What a tool hands back: the content blocks of an `agent.tool_result` (spec §4.1) and whether the
 * call failed. Shapes are the wire shapes, so the harness can append them without translation.
 */

export interface TextBlock {
  type: 'text';
  text: string;
}

export interface ImageBlock {
  type: 'image';
  source: { type: 'base64'; data: string; media_type: string } | { type: 'url'; url: string } | { type: 'file'; file_id: string };
}

export interface DocumentBlock {
  type: 'document';
  source:
    | { type: 'base64'; data: string; media_type: string }
    | { type: 'text'; data: string; media_type: 'text/plain' }
    | { type: 'url'; url: string }
    | { type: 'file'; file_id: string };
  title?: string | null;
  context?: string | null;
}

export interface SearchResultBlock {
  type: 'search_result';
  source: string;
  title: string;
  content: Array<{ type: 'text'; text: string }>;
  citations: { enabled: boolean };
}

export type ToolContentBlock = TextBlock | ImageBlock | DocumentBlock | SearchResultBlock;

/** The outcome of one tool call. Failures are results with `isError`, never exceptions. */
export interface ToolResult {
  content: ToolContentBlock[];
  isError: boolean;
}

/**
 * A successful result holding one text block. Empty text becomes `(no output)`: the Messages API
 * refuses empty text blocks, and an explicit marker tells the model the call did run.
 */
export function textResult(text: string): ToolResult {
  return { content: [{ type: 'text', text: text === '' ? '(no output)' : text }], isError: false };
}

/** A failed result holding one text block that says what went wrong and, ideally, what to do instead. */
export function errorResult(text: string): ToolResult {
  return { content: [{ type: 'text', text: text === '' ? '(no output)' : text }], isError: true };
}
