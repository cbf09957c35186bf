import type { ServerResponse } from 'node:http';

const encoder = new TextEncoder();
/** Frames of persisted events, encoded once however many streams carry them. */
const frames = new WeakMap<object, Uint8Array>();

const HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/** The bytes of one SSE frame: an `event:` line equal to the JSON type, an `id:` when persisted, one `data:` line. */
export function encodeFrame(event: string, data: unknown, id?: string): Uint8Array {
  const idLine = id ? `id: ${id}\n` : '';
  return encoder.encode(`event: ${event}\n${idLine}data: ${JSON.stringify(data)}\n\n`);
}

/** `encodeFrame` for an object that many streams send: encoded on first use, then shared. */
export function sharedFrame(event: string, data: object, id?: string): Uint8Array {
  let frame = frames.get(data);
  if (!frame) {
    frame = encodeFrame(event, data, id);
    frames.set(data, frame);
  }
  return frame;
}

export interface SseOptions {
  /** How often to send `event: ping` when nothing else was sent. */
  heartbeatMs: number;
  /** A client that falls this far behind is disconnected rather than buffered without bound. */
  maxBufferedBytes: number;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  /** Runs once when the stream ends, whoever ended it. */
  onClose: () => void;
  /** Response headers beyond the SSE ones (the `request-id`). */
  headers?: Record<string, string>;
  /**
   * Node's response, when the server runs on Node: frames are then written to the socket
   * directly, which matters when one event fans out to a thousand streams. Without it the
   * stream is a Web `ReadableStream` (for `app.request()` and other runtimes).
   */
  node?: ServerResponse;
}

interface Sink {
  write(bytes: Uint8Array): void;
  buffered(): number;
  end(): void;
}

/**
 * A server-sent-events stream framed as the SDK parses it (spec 4.5). Headers go out at once
 * (an opening comment forces the flush), heartbeats keep proxies from timing it out, a client
 * that stops reading is cut off, and a disconnect ends everything exactly once.
 */
export class SseStream {
  /** The response to return from the route: a streaming one, or the "already sent" marker on Node. */
  readonly response: Response;
  private readonly sink: Sink;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly options: SseOptions,
    alreadySent?: Response,
  ) {
    if (options.node && alreadySent) {
      const res = options.node;
      res.writeHead(200, { ...HEADERS, ...options.headers });
      res.flushHeaders();
      res.on('close', () => this.close());
      this.sink = { write: (bytes) => void res.write(bytes), buffered: () => res.writableLength, end: () => res.end() };
      this.response = alreadySent;
    } else {
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const stream = new ReadableStream<Uint8Array>(
        { start: (c) => void (controller = c), cancel: () => this.close() },
        new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
      );
      this.sink = {
        write: (bytes) => controller.enqueue(bytes),
        buffered: () => -(controller.desiredSize ?? 0),
        end: () => controller.close(),
      };
      this.response = new Response(stream, { status: 200, headers: { ...HEADERS, ...options.headers } });
    }
    this.write(encoder.encode(': connected\n\n'));
    this.heartbeat = setInterval(() => this.send('ping', { type: 'ping' }), options.heartbeatMs);
    this.heartbeat.unref();
    if (options.signal.aborted) queueMicrotask(() => this.close());
    else options.signal.addEventListener('abort', () => this.close(), { once: true });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one frame. `id` is set for persisted events only. */
  send(event: string, data: unknown, id?: string): void {
    this.write(encodeFrame(event, data, id));
  }

  /** Sends a frame already encoded (shared between streams). */
  sendFrame(frame: Uint8Array): void {
    this.write(frame);
  }

  /** Ends the stream; safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    try {
      this.sink.end();
    } catch {
      // Already closed by the client.
    }
    this.options.onClose();
  }

  private write(bytes: Uint8Array): void {
    if (this.closed) return;
    try {
      this.sink.write(bytes);
    } catch {
      this.close();
      return;
    }
    if (this.sink.buffered() > this.options.maxBufferedBytes) this.close();
  }
}
