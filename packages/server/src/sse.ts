const encoder = new TextEncoder();

export interface SseOptions {
  /** How often to send `event: ping` when nothing else was sent. */
  heartbeatMs: number;
  /** A client that falls this far behind is disconnected rather than buffered without bound. */
  maxBufferedBytes: number;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  /** Runs once when the stream ends, whoever ended it. */
  onClose: () => void;
}

/**
 * A server-sent-events response framed as the SDK parses it (spec 4.5): every frame has an
 * `event:` line equal to the JSON `type`, one `data:` line, and persisted events an `id:` line.
 * Headers go out at once (an opening comment forces the flush), heartbeats keep proxies from
 * timing the stream out, and a disconnect ends everything exactly once.
 */
export class SseStream {
  readonly response: Response;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: SseOptions) {
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        cancel: () => this.close(),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
    );
    this.response = new Response(stream, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      },
    });
    this.write(': connected\n\n');
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
    const idLine = id ? `id: ${id}\n` : '';
    this.write(`event: ${event}\n${idLine}data: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends the stream; safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    try {
      this.controller.close();
    } catch {
      // Already closed by the client.
    }
    this.options.onClose();
  }

  private write(text: string): void {
    if (this.closed) return;
    try {
      this.controller.enqueue(encoder.encode(text));
    } catch {
      this.close();
      return;
    }
    if ((this.controller.desiredSize ?? 0) < -this.options.maxBufferedBytes) this.close();
  }
}
