/**
 * bench/event-log: durable appends and live delivery, beside a raw driver insert loop.
 *
 *   npm run bench -- event-log
 *
 * Appends go to a real SQLite file in WAL mode with synchronous=FULL (every commit fsynced), as in
 * production. The baseline is better-sqlite3 inserting one row per transaction with the same
 * settings, in the same process. Delivery is measured over real HTTP: SSE subscribers on one
 * session, timed from the start of the append to the moment each subscriber has parsed the frame.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createRuntime } from '@longhand/runtime';
import { createApp, listen } from '@longhand/server';
import { ms, percentile, table } from './stats.js';

const APPENDS = Number(process.env.BENCH_APPENDS ?? 3000);
const WRITERS = 64;
const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 100);
const SUBSCRIBERS = (process.env.BENCH_SUBSCRIBERS ?? '1,100,1000').split(',').map(Number);

const dir = mkdtempSync(join(tmpdir(), 'longhand-bench-log-'));
const rows: string[][] = [['measure', 'longhand', 'raw insert loop', 'ratio']];

function rawBaseline(): { perSecond: number; latencies: number[] } {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE events (session_id TEXT, seq INTEGER, id TEXT, body TEXT, PRIMARY KEY (session_id, seq))');
  const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?)');
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 1; i <= APPENDS; i += 1) {
    const t = performance.now();
    insert.run('s', i, `e${i}`, '{"type":"user.message","content":[{"type":"text","text":"hello"}]}');
    latencies.push(performance.now() - t);
  }
  const perSecond = APPENDS / ((performance.now() - started) / 1000);
  db.close();
  return { perSecond, latencies };
}

const raw = rawBaseline();
const runtime = await createRuntime({ dataDir: join(dir, 'longhand'), role: 'api' });
const caller = { workspaceId: 'wrkspc_default', keyId: null, admin: true };
const agent = await runtime.agents.create(caller, { name: 'bench', model: 'claude-sonnet-4-6' });
const environment = await runtime.environments.create(caller, { name: 'bench' });
const newSession = async () => (await runtime.sessions.create(caller, { agent: agent.id, environment_id: environment.id })).id;
const body = { type: 'user.message' as const, content: [{ type: 'text' as const, text: 'hello' }] };

// 1. One writer, one event per append, one after another.
{
  const id = await newSession();
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < APPENDS; i += 1) {
    const t = performance.now();
    await runtime.store.events.append(id, [{ body }]);
    latencies.push(performance.now() - t);
  }
  const perSecond = APPENDS / ((performance.now() - started) / 1000);
  rows.push(['appends/s, 1 writer', perSecond.toFixed(0), raw.perSecond.toFixed(0), `${(perSecond / raw.perSecond).toFixed(2)}x`]);
  rows.push(['append p50, 1 writer', ms(percentile(latencies, 50)), ms(percentile(raw.latencies, 50)), `${(percentile(latencies, 50) / percentile(raw.latencies, 50)).toFixed(2)}x`]);
  rows.push(['append p99, 1 writer', ms(percentile(latencies, 99)), ms(percentile(raw.latencies, 99)), `${(percentile(latencies, 99) / percentile(raw.latencies, 99)).toFixed(2)}x`]);
}

// 2. Many writers at once (sessions of many users): group commit shares each fsync.
{
  const ids = await Promise.all(Array.from({ length: WRITERS }, () => newSession()));
  const latencies: number[] = [];
  const per = Math.ceil(APPENDS / WRITERS);
  const started = performance.now();
  await Promise.all(
    ids.map(async (id) => {
      for (let i = 0; i < per; i += 1) {
        const t = performance.now();
        await runtime.store.events.append(id, [{ body }]);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const perSecond = (per * WRITERS) / ((performance.now() - started) / 1000);
  rows.push([`appends/s, ${WRITERS} writers`, perSecond.toFixed(0), raw.perSecond.toFixed(0), `${(perSecond / raw.perSecond).toFixed(2)}x`]);
  rows.push([`append p99, ${WRITERS} writers`, ms(percentile(latencies, 99)), ms(percentile(raw.latencies, 99)), '']);
}

// 3. Delivery to SSE subscribers over HTTP, the subscribers in a process of their own.
const server = await listen(createApp(runtime), { port: 0, host: '127.0.0.1' });
const { key } = await runtime.auth.createKey();
for (const count of SUBSCRIBERS) {
  const id = await newSession();
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support', 'subscribers.ts'), JSON.stringify({ url: server.url, key, sessionId: id, count, expect: DELIVERIES })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const output = lines[Symbol.asyncIterator]();
  if ((await output.next()).value !== 'ready') throw new Error('the subscribers did not connect');
  const sent = new Map<string, number>();
  for (let i = 0; i < DELIVERIES; i += 1) {
    const eventId = `sevt_bench${count}_${i}`;
    sent.set(eventId, performance.timeOrigin + performance.now());
    await runtime.store.events.append(id, [{ body, id: eventId }]);
    await new Promise((resolve) => setTimeout(resolve, count >= 1000 ? 20 : 5));
  }
  const arrivals = JSON.parse((await output.next()).value as string) as Record<string, number[]>;
  const delays: number[] = [];
  for (const [eventId, times] of Object.entries(arrivals)) for (const at of times) delays.push(at - sent.get(eventId)!);
  const expected = count * DELIVERIES;
  rows.push([
    `delivery p50, ${count} subscriber${count > 1 ? 's' : ''}`,
    ms(percentile(delays, 50)),
    ms(percentile(raw.latencies, 50)),
    `${(percentile(delays, 50) / percentile(raw.latencies, 50)).toFixed(0)}x`,
  ]);
  rows.push([`delivery p99, ${count} subscriber${count > 1 ? 's' : ''}`, ms(percentile(delays, 99)), ms(percentile(raw.latencies, 99)), `${delays.length}/${expected} delivered`]);
}
await server.close();
await runtime.close();
rmSync(dir, { recursive: true, force: true });

console.log(`bench/event-log: ${APPENDS} single-event appends; delivery of ${DELIVERIES} events to each subscriber\n`);
console.log(table(rows));
