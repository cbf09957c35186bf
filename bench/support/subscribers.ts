/**
 * A separate process of SSE subscribers for bench/event-log, so the clients do not share the
 * server's event loop. Reads `{url, key, sessionId, count, expect}` as JSON from argv[2], opens
 * `count` streams, prints `ready`, and when every stream has seen `expect` events prints one JSON
 * line: for each event id, the wall-clock arrival times (performance.timeOrigin + now).
 */
const { url, key, sessionId, count, expect } = JSON.parse(process.argv[2]!) as { url: string; key: string; sessionId: string; count: number; expect: number };
const arrivals = new Map<string, number[]>();
const now = () => performance.timeOrigin + performance.now();

async function subscribe(): Promise<void> {
  const response = await fetch(`${url}/v1/sessions/${sessionId}/events/stream`, { headers: { 'x-api-key': key } });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let seen = 0;
  ready.push(1);
  if (ready.length === count) process.stdout.write('ready\n');
  while (seen < expect) {
    const { value, done } = await reader.read();
    if (done) return;
    const at = now();
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const start = frame.indexOf('\nid: ');
      if (start < 0) continue;
      const id = frame.slice(start + 5, frame.indexOf('\n', start + 5));
      let list = arrivals.get(id);
      if (!list) arrivals.set(id, (list = []));
      list.push(at);
      seen += 1;
    }
  }
  await reader.cancel();
}

const ready: number[] = [];
await Promise.all(Array.from({ length: count }, () => subscribe()));
process.stdout.write(`${JSON.stringify(Object.fromEntries(arrivals))}\n`);
