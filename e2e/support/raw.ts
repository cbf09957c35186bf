/** A raw HTTP response with its body read as JSON when it is JSON. */
export interface RawResponse {
  status: number;
  headers: Headers;
  /** The parsed body, or the text when it is not JSON. */
  body: any;
}

/** A request made with plain `fetch`, for what the SDK cannot express (headers, odd bodies). */
export interface RawRequest {
  method?: string;
  /** Path and query, such as `/v1/agents?limit=1`. */
  path: string;
  /** Sent as `x-api-key` unless `headers` says otherwise. */
  key?: string;
  headers?: Record<string, string>;
  /** A value to send as JSON, or a string sent as it is. */
  body?: unknown;
}

/**
 * Sends one request to `baseUrl` and reads the whole answer.
 *
 * @example
 * const res = await rawRequest(server.url, { method: 'POST', path: '/v1/agents', key, body: { name: 'a', model: 'm' } });
 */
export async function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const headers: Record<string, string> = { ...(request.key ? { 'x-api-key': request.key } : {}), ...request.headers };
  let body: string | undefined;
  if (request.body !== undefined) {
    body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${baseUrl}${request.path}`, { method: request.method ?? 'GET', headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** One server-sent-events frame as it came over the wire. */
export interface SseFrame {
  /** The `event:` value, undefined when the frame had none. */
  event: string | undefined;
  id: string | undefined;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** True for a frame made only of comment lines (`: …`). */
  comment: boolean;
}

/**
 * Reads SSE frames from a streaming response body. `next()` resolves with the next frame, or
 * undefined when the server closed the stream.
 */
export function sseReader(body: ReadableStream<Uint8Array>): { next(): Promise<SseFrame | undefined>; cancel(): Promise<void> } {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const parse = (block: string): SseFrame => {
    const frame: SseFrame = { event: undefined, id: undefined, data: '', comment: true };
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue;
      frame.comment = false;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') frame.event = value;
      else if (field === 'id') frame.id = value;
      else if (field === 'data') data.push(value);
    }
    frame.data = data.join('\n');
    return frame;
  };
  return {
    async next() {
      for (;;) {
        const end = /\r?\n\r?\n/.exec(buffer);
        if (end) {
          const block = buffer.slice(0, end.index);
          buffer = buffer.slice(end.index + end[0].length);
          return parse(block);
        }
        const { done, value } = await reader.read();
        if (done) return undefined;
        buffer += decoder.decode(value, { stream: true });
      }
    },
    async cancel() {
      await reader.cancel().catch(() => undefined);
    },
  };
}
