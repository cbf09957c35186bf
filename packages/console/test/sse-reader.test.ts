import { describe, expect, it } from 'vitest';
import { SseParser, readSse, type SseFrame } from '../src/api/sse-reader.js';

function parseAll(chunks: string[]): SseFrame[] {
  const frames: SseFrame[] = [];
  const parser = new SseParser((frame) => frames.push(frame));
  for (const chunk of chunks) parser.push(chunk);
  return frames;
}

describe('SseParser', () => {
  it('reads event, id and data lines and skips comments', () => {
    const frames = parseAll([': connected\n\nevent: agent.message\nid: sevt_1\ndata: {"a":1}\n\n']);
    expect(frames).toEqual([{ event: 'agent.message', id: 'sevt_1', data: '{"a":1}' }]);
  });

  it('handles frames cut anywhere, CRLF line ends included', () => {
    const text = 'event: ping\r\ndata: {"type":"ping"}\r\n\r\nevent: x\r\ndata: 1\r\n\r\n';
    for (let cut = 1; cut < text.length; cut += 1) {
      expect(parseAll([text.slice(0, cut), text.slice(cut)])).toEqual([
        { event: 'ping', id: undefined, data: '{"type":"ping"}' },
        { event: 'x', id: undefined, data: '1' },
      ]);
    }
  });

  it('joins several data lines with a newline and keeps a frame without data out', () => {
    expect(parseAll(['data: a\ndata: b\n\n\n\n'])).toEqual([{ event: undefined, id: undefined, data: 'a\nb' }]);
  });

  it('reads a byte stream whose chunks split a multi-byte character', async () => {
    const bytes = new TextEncoder().encode('event: m\ndata: {"t":"café ☕"}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 3) controller.enqueue(bytes.slice(i, i + 3));
        controller.close();
      },
    });
    const frames: SseFrame[] = [];
    let chunks = 0;
    await readSse(body, (frame) => frames.push(frame), () => (chunks += 1));
    expect(frames).toEqual([{ event: 'm', id: undefined, data: '{"t":"café ☕"}' }]);
    expect(chunks).toBeGreaterThan(1);
  });
});
