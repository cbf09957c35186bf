/**
 * A separate process of SSE subscribers for bench/event-log, so the clients do not share the
 * server's event loop. Reads `{url, key, sessionId, count, expect}` as JSON from argv[2], opens
 * `count` streams, prints `ready`, and when every stream has seen `expect` events prints one JSON
 * line: for each event id, the wall-clock arrival times (performance.timeOrigin + now).
 */
import { Agent, get } from 'node:http';

const { url, key, sessionId, count, expect } = JSON.parse(process.argv[2]!) as { url: string; key: string; sessionId: string; count: number; expect: number };
const arrivals = new Map<string, number[]>();
const now = () => performance.timeOrigin + performance.now();
// One connection per stream, as separate clients would have. node:http's 'data' events rather
// than fetch's web streams: with a thousand streams in one process, a web stream's per-read
// overhead made this client, not the server, the slowest part of what was measured.
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

function subscribe(): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = get(`${url}/v1/sessions/${sessionId}/events/stream`, { headers: { 'x-api-key': key }, agent }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`stream answered ${response.statusCode}`));
      response.setEncoding('utf8');
      let buffer = '';
      let seen = 0;
      ready.push(1);
      if (ready.length === count) process.stdout.write('ready\n');
      response.on('data', (chunk: string) => {
        const at = now();
        buffer += chunk;
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
        if (seen >= expect) {
          request.destroy();
          resolve();
        }
      });
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

const ready: number[] = [];
await Promise.all(Array.from({ length: count }, () => subscribe()));
process.stdout.write(`${JSON.stringify(Object.fromEntries(arrivals))}\n`);
