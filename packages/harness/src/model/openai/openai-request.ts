import type { ToolResultContentBlockT } from '@longhand/protocol';
import type { ModelBlock, ModelRequest } from '../model.js';

type Json = Record<string, unknown>;

function resultText(content: ToolResultContentBlockT[]): string {
  const parts: string[] = [];
  for (const block of content) {
    if (block.type === 'text') parts.push(block.text);
    else if (block.type === 'search_result') parts.push(`${block.title} (${block.source})\n${block.content.map((c) => c.text).join('\n')}`);
    else if (block.type === 'document' && block.source.type === 'text') parts.push(block.source.data);
    else parts.push(`[${block.type} omitted]`);
  }
  return parts.join('\n');
}

function userPart(block: ModelBlock): Json | undefined {
  if (block.type === 'text') return { type: 'text', text: block.text };
  if (block.type === 'image') {
    const source = block.source as { type?: string; data?: string; media_type?: string; url?: string };
    if (source.type === 'base64') return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
    if (source.type === 'url') return { type: 'image_url', image_url: { url: source.url } };
  }
  if (block.type === 'document') {
    const source = block.source as { type?: string; data?: string };
    if (source.type === 'text') return { type: 'text', text: `${block.title ? `${block.title}\n` : ''}${source.data}` };
  }
  return undefined;
}

/**
 * Maps a request to the chat-completions format: tool uses become `tool_calls` of the assistant
 * message, tool results become `tool` messages (one per call, right after it), thinking is
 * dropped (these endpoints cannot take it back), system context stays a `system` message.
 */
export function toChatBody(request: ModelRequest, model: string): Json {
  const messages: Json[] = [];
  if (request.system) messages.push({ role: 'system', content: request.system });
  for (const message of request.messages) {
    if (message.role === 'system') {
      messages.push({ role: 'system', content: message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n') });
      continue;
    }
    if (message.role === 'assistant') {
      const text = message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
      const calls = message.content.flatMap((b) =>
        b.type === 'tool_use' ? [{ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input) } }] : [],
      );
      messages.push({ role: 'assistant', content: text === '' ? null : text, ...(calls.length > 0 ? { tool_calls: calls } : {}) });
      continue;
    }
    const parts: Json[] = [];
    for (const block of message.content) {
      if (block.type === 'tool_result') {
        const text = resultText(block.content);
        messages.push({ role: 'tool', tool_call_id: block.tool_use_id, content: block.is_error ? `Error: ${text}` : text || '(no output)' });
      } else {
        const part = userPart(block);
        if (part) parts.push(part);
      }
    }
    if (parts.length > 0) {
      const onlyText = parts.every((p) => p.type === 'text');
      messages.push({ role: 'user', content: onlyText ? parts.map((p) => p.text).join('\n') : parts });
    }
  }
  const body: Json = {
    model,
    messages,
    max_tokens: request.maxTokens,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.input_schema },
    }));
  }
  return body;
}
