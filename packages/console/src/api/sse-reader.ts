/** One server-sent event: its `event:` name, its joined `data:` lines and its `id:`. */
export interface SseFrame {
  event: string | undefined;
  data: string;
  id: string | undefined;
}

/**
 * An incremental parser of the `text/event-stream` format: feed it text as it arrives, in
 * chunks cut anywhere, and it calls `onFrame` once per complete frame. Comment lines (`:`) are
 * skipped, several `data:` lines are joined with a newline, LF, CRLF and CR all end a line.
 *
 * @example
 * const parser = new SseParser((frame) => console.log(frame.event, frame.data));
 * parser.push('event: ping\ndata: {}\n\n');
 */
export class SseParser {
  private buffer = '';
  private event: string | undefined;
  private data: string[] = [];
  private id: string | undefined;
  private pendingCr = false;

  constructor(private readonly onFrame: (frame: SseFrame) => void) {}

  push(text: string): void {
    let chunk = text;
    // A CR at the end of the previous chunk may be the first half of a CRLF.
    if (this.pendingCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.pendingCr = false;
    this.buffer += chunk;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i += 1) {
      const char = this.buffer.charCodeAt(i);
      if (char !== 0x0a && char !== 0x0d) continue;
      this.line(this.buffer.slice(start, i));
      if (char === 0x0d) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 0x0a) i += 1;
        } else this.pendingCr = true;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0 || this.event !== undefined) {
        this.onFrame({ event: this.event, data: this.data.join('\n'), id: this.id });
      }
      this.event = undefined;
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id') this.id = value;
  }
}

/**
 * Reads frames from a response body until it ends. Calls `onBytes` for every chunk, so a
 * watchdog can tell a silent connection from a live one (the server sends pings).
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onFrame: (frame: SseFrame) => void,
  onBytes?: () => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser(onFrame);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      onBytes?.();
      parser.push(decoder.decode(value, { stream: true }));
    }
    parser.push(decoder.decode());
  } finally {
    reader.releaseLock();
  }
}
