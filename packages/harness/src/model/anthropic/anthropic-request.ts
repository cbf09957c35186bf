import type { ModelBlock, ModelRequest } from '../model.js';

type Json = Record<string, unknown>;
const EPHEMERAL = { type: 'ephemeral' } as const;

function block(b: ModelBlock): Json {
  switch (b.type) {
    case 'tool_result':
      return { type: 'tool_result', tool_use_id: b.tool_use_id, content: b.content.length > 0 ? b.content : '', is_error: b.is_error };
    default:
      return { ...b };
  }
}

/**
 * Builds a Messages API request body. Cache breakpoints go at the end of the tools, of the
 * system prompt and after the messages the harness chose (at most four in all), so a long
 * session reads its stable prefix from the prompt cache on every turn.
 */
export function toAnthropicBody(request: ModelRequest, options: { thinking?: 'adaptive' | 'off' }): Json {
  const breakpoints = new Set(request.cacheAfter.slice(-2));
  const messages = request.messages.map((message, index) => {
    const content = message.content.map(block);
    if (breakpoints.has(index) && content.length > 0) content[content.length - 1] = { ...content[content.length - 1], cache_control: EPHEMERAL };
    return { role: message.role, content: message.role === 'system' ? content.filter((c) => c.type === 'text') : content };
  });
  const tools = request.tools.map((tool, index) => ({
    name: tool.name,
    description: tool.description,
    input_schema: tool.input_schema,
    ...(index === request.tools.length - 1 && request.cacheAfter.length > 0 ? { cache_control: EPHEMERAL } : {}),
  }));
  const body: Json = {
    model: request.model.id,
    max_tokens: request.maxTokens,
    messages,
    stream: true,
  };
  if (request.system) body.system = [{ type: 'text', text: request.system, ...(request.cacheAfter.length > 0 ? { cache_control: EPHEMERAL } : {}) }];
  if (tools.length > 0) body.tools = tools;
  if (request.model.effort) body.output_config = { effort: request.model.effort.type };
  if (options.thinking === 'adaptive') body.thinking = { type: 'adaptive' };
  if (request.model.inference_geo) body.inference_geo = request.model.inference_geo;
  return body;
}
