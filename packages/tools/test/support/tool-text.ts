import type { ToolResult } from '../../src/index.js';

/** The text of a result's text blocks, joined by newlines. */
export function textOf(result: ToolResult): string {
  return result.content.map((block) => (block.type === 'text' ? block.text : `<${block.type}>`)).join('\n');
}

let counter = 0;
/** A fresh directory name under /workspace for one test, so tests sharing a sandbox never collide. */
export function scratchDir(label: string): string {
  counter += 1;
  return `/workspace/t${counter}-${label.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}`;
}
