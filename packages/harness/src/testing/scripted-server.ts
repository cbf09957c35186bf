import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { viewOf, type Script, type ScriptedReply } from './script.js';

export interface ScriptedServer {
  /** Base URL: set `ANTHROPIC_BASE_URL` to it, or use `${url}/v1` as an OpenAI-compatible endpoint. */
  url: string;
  /** Every request body received, in order. */
  readonly requests: Array<Record<string, any>>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readBody(req: IncomingMessage): Promise<Record<string, any>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, any>;
}

function pieces(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, count)));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

function fail(res: ServerResponse, reply: Extract<ScriptedReply, { error: unknown }>, anthropic: boolean): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (reply.error.retryAfterSeconds !== undefined) headers['retry-after'] = String(reply.error.retryAfterSeconds);
  const message = reply.error.message ?? `scripted error ${reply.error.status}`;
  const body = anthropic
    ? { type: 'error', error: { type: reply.error.type ?? 'api_error', message } }
    : { error: { message, type: reply.error.type ?? 'server_error' } };
  res.writeHead(reply.error.status, headers).end(JSON.stringify(body));
}

/** Streams a reply in the Messages API format. */
async function anthropicStream(res: ServerResponse, reply: ScriptedReply, model: string, call: number, inputTokens: number): Promise<void> {
  const send = (event: string, data: Record<string, unknown>) => res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const usage = { input_tokens: inputTokens, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...('usage' in reply ? reply.usage : {}) };
  send('message_start', { message: { id: `msg_scripted_${call}`, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } });
  send('ping', {});
  let index = 0;
  if ('cut' in reply) {
    send('content_block_start', { index, content_block: { type: 'text', text: '' } });
    if (reply.text) send('content_block_delta', { index, delta: { type: 'text_delta', text: reply.text } });
    res.destroy();
    return;
  }
  if ('refusal' in reply) {
    if (reply.text) {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      send('content_block_delta', { index, delta: { type: 'text_delta', text: reply.text } });
      send('content_block_stop', { index });
    }
    send('message_delta', { delta: { stop_reason: 'refusal', stop_sequence: null, stop_details: { type: 'refusal', ...reply.refusal } }, usage: { output_tokens: 5 } });
    send('message_stop', {});
    res.end();
    return;
  }
  if ('error' in reply || 'hang' in reply) return;
  if (reply.thinking) {
    send('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
    send('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: reply.thinking } });
    send('content_block_delta', { index, delta: { type: 'signature_delta', signature: `sig_${call}` } });
    send('content_block_stop', { index });
    index += 1;
  }
  if (reply.text !== undefined) {
    send('content_block_start', { index, content_block: { type: 'text', text: '' } });
    for (const [i, piece] of pieces(reply.text, reply.chunks ?? 1).entries()) {
      if (i > 0 && reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
      if (res.destroyed) return;
      send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
    }
    send('content_block_stop', { index });
    index += 1;
  }
  for (const [i, use] of (reply.toolUses ?? []).entries()) {
    send('content_block_start', { index, content_block: { type: 'tool_use', id: `toolu_${call}_${i}`, name: use.name, input: {} } });
    const json = JSON.stringify(use.input);
    const half = Math.floor(json.length / 2);
    send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(0, half) } });
    send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(half) } });
    send('content_block_stop', { index });
    index += 1;
  }
  const stop = reply.stopReason ?? ((reply.toolUses?.length ?? 0) > 0 ? 'tool_use' : 'end_turn');
  send('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output_tokens === 1 ? 5 : usage.output_tokens } });
  send('message_stop', {});
  res.end();
}

/** Streams a reply in the chat-completions format. */
async function openAiStream(res: ServerResponse, reply: ScriptedReply, model: string, call: number, inputTokens: number): Promise<void> {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    res.write(`data: ${JSON.stringify({ id: `chatcmpl-${call}`, object: 'chat.completion.chunk', model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  if ('cut' in reply) {
    chunk({ role: 'assistant', content: reply.text ?? '' });
    res.destroy();
    return;
  }
  if ('error' in reply || 'hang' in reply) return;
  const text = 'refusal' in reply ? (reply.text ?? '') : reply.text;
  if (text !== undefined && text !== '') {
    for (const [i, piece] of pieces(text, 'chunks' in reply ? (reply.chunks ?? 1) : 1).entries()) {
      if (i > 0 && 'chunkDelayMs' in reply && reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
      chunk(i === 0 ? { role: 'assistant', content: piece } : { content: piece });
    }
  }
  const uses = 'toolUses' in reply ? (reply.toolUses ?? []) : [];
  for (const [i, use] of uses.entries()) {
    const args = JSON.stringify(use.input);
    chunk({ tool_calls: [{ index: i, id: `call_${call}_${i}`, type: 'function', function: { name: use.name, arguments: args.slice(0, 3) } }] });
    chunk({ tool_calls: [{ index: i, function: { arguments: args.slice(3) } }] });
  }
  chunk({}, 'refusal' in reply ? 'content_filter' : uses.length > 0 ? 'tool_calls' : 'stop');
  res.write(`data: ${JSON.stringify({ id: `chatcmpl-${call}`, object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: inputTokens, completion_tokens: 5, total_tokens: inputTokens + 5 } })}\n\n`);
  res.write('data: [DONE]\n\n');
  res.end();
}

/**
 * An HTTP server on 127.0.0.1 that answers `POST /v1/messages` (Messages API streaming) and
 * `POST /v1/chat/completions` (OpenAI-compatible streaming) from a script, so end-to-end tests
 * run the real model adapters over real HTTP.
 */
export async function startScriptedServer(script: Script): Promise<ScriptedServer> {
  const requests: Array<Record<string, any>> = [];
  let calls = 0;
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    void (async () => {
      const anthropic = req.url?.startsWith('/v1/messages') ?? false;
      const openai = req.url?.startsWith('/v1/chat/completions') ?? false;
      if (req.method !== 'POST' || (!anthropic && !openai)) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      const body = await readBody(req);
      requests.push(body);
      const call = calls++;
      const messages = (body.messages ?? []) as Array<{ role: string; content: unknown }>;
      const system = anthropic ? (Array.isArray(body.system) ? body.system.map((b: { text?: string }) => b.text ?? '').join('\n') : String(body.system ?? '')) : '';
      const toolNames = ((body.tools ?? []) as Array<{ name?: string; function?: { name: string } }>).map((t) => t.name ?? t.function?.name ?? '');
      const reply = await script(viewOf(openai ? fromOpenAi(messages) : messages, system, toolNames, body), call);
      if ('error' in reply) return fail(res, reply, anthropic);
      if ('hang' in reply) return; // left open until the client gives up
      if ('delayMs' in reply && reply.delayMs) await sleep(reply.delayMs);
      // Like a real provider, count the request's tokens (roughly: four characters a token).
      const inputTokens = Math.ceil(JSON.stringify([body.system ?? '', body.messages ?? [], body.tools ?? []]).length / 4);
      if (anthropic) await anthropicStream(res, reply, String(body.model), call, inputTokens);
      else await openAiStream(res, reply, String(body.model), call, inputTokens);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.close(() => resolve());
        // Idle keep-alive sockets of finished requests would hold `close` open.
        server.closeAllConnections();
      }),
  };
}

/** Chat-completions messages in the Messages-API shape the script view reads. */
function fromOpenAi(messages: Array<{ role: string; content: unknown; tool_call_id?: string }>): Array<{ role: string; content: unknown }> {
  const out: Array<{ role: string; content: unknown }> = [];
  for (const message of messages) {
    if (message.role === 'tool') {
      const block = { type: 'tool_result', tool_use_id: message.tool_call_id, content: String(message.content ?? ''), is_error: String(message.content ?? '').startsWith('Error:') };
      const last = out[out.length - 1];
      if (last?.role === 'user' && Array.isArray(last.content) && (last.content as Array<{ type: string }>).every((b) => b.type === 'tool_result')) (last.content as unknown[]).push(block);
      else out.push({ role: 'user', content: [block] });
    } else if (message.role === 'user' || message.role === 'assistant') {
      out.push({ role: message.role, content: typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : (message.content ?? []) });
    }
  }
  return out;
}
