/**
 * bench/scale: completed turns and events per second with 1, 2 and 4 worker processes on one
 * PostgreSQL database, beside the same load on the embedded SQLite database with one process,
 * and what each turn costs in CPU time in each kind of process.
 *
 *   npm run bench -- scale
 *
 * Each configuration runs real `longhand serve` processes (PostgreSQL: one `--role api` process
 * and N `--role worker` processes; SQLite: one `--role all` process) against a fresh database,
 * with `--sandbox none`. A scripted model answers over HTTP (from this process). Each turn makes
 * three tool calls (denied at once: the agent has no built-in tools) and an answer: four model
 * requests and about 25 events. Two loads:
 *
 * - cpu-bound: the model answers at once and a worker takes every session: the figures are
 *   Longhand's own cost (the turn loop, the log, leases, notifications), limited by the cores.
 * - latency-bound: the model takes 400 ms a request and each process runs at most 16 sessions
 *   at once, as when real models are slow and a worker's sessions are bounded: throughput then
 *   grows with the processes that take sessions, as long as CPU is left.
 *
 * A warm-up batch runs first in every configuration. The cpu-bound configurations take turns
 * for `BENCH_ROUNDS` rounds and the best round of each is reported (other load on the machine
 * only ever slows a round down); the latency-bound load, which waits more than it computes,
 * runs once. CPU time is read from /proc for the Longhand processes and for the
 * PostgreSQL backends serving the benchmark's database.
 *
 * Needs PostgreSQL on 127.0.0.1:5432 (or LONGHAND_TEST_POSTGRES_URL).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import Database from 'better-sqlite3';
import { startScriptedServer } from '@longhand/harness/testing';
import { freePort } from '../e2e/support/server-process.js';
import { LonghandProcess } from '../e2e/scale/support/longhand-process.js';
import { createTestDatabase, type TestDatabase } from '../e2e/scale/support/postgres.js';
import { scriptedConfig, task, taskScript } from '../e2e/scale/support/task-script.js';
import { table } from './stats.js';

const WARMUP = Number(process.env.BENCH_WARMUP ?? 40);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number);

/** A load: how many sessions at once, how slow the model is, how many sessions a process may run. */
interface Scenario {
  name: string;
  rounds: number;
  sessions: number;
  /** Tags starting with `slow` make the scripted model wait this long per request. */
  slow: boolean;
  concurrency: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'cpu-bound', rounds: ROUNDS, sessions: Number(process.env.BENCH_SESSIONS ?? 300), slow: false, concurrency: 1000 },
  { name: 'latency-bound', rounds: 1, sessions: Number(process.env.BENCH_SLOW_SESSIONS ?? 128), slow: true, concurrency: 16 },
];
const SLOW_MS = 400;
const STEPS = 3;
const KEY = 'lh_admin_bench_scale_key';
const TICKS_PER_SECOND = 100;

interface Result {
  name: string;
  /** Worker processes; 0 for SQLite. */
  workers: number;
  turnsPerSecond: number;
  eventsPerSecond: number;
  /** CPU milliseconds per turn: in worker processes, API processes, PostgreSQL backends. */
  cpu: { worker: number; api: number; database: number };
}

/** Counts, in the database, sessions still busy and every event written. */
type Probe = () => Promise<{ busy: number; events: number }>;

/** CPU time (user + system) a process has used so far, in ms; 0 once it is gone. */
function cpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

const provider = await startScriptedServer(taskScript({ delayMs: (tag) => (tag.startsWith('slow') ? SLOW_MS : 0), textChunks: 2 }));
const dir = mkdtempSync(join(tmpdir(), 'longhand-bench-scale-'));
const config = await scriptedConfig(dir, provider.url);

/** Sends one task to each of `count` new sessions and waits until all are idle again. */
async function load(client: Anthropic, probe: Probe, count: number, tag: string): Promise<{ seconds: number; events: number }> {
  const agent = await client.beta.agents.create({ name: `bench-${tag}`, model: 'claude-sonnet-4-6', tools: [] } as never);
  const environment = await client.beta.environments.create({ name: `bench-${tag}` });
  const ids = await Promise.all(
    Array.from({ length: count }, async () => (await client.beta.sessions.create({ agent: agent.id, environment_id: environment.id })).id),
  );
  const before = (await probe()).events;
  const started = performance.now();
  await Promise.all(ids.map((id, i) => client.beta.sessions.events.send(id, { events: [task(STEPS, `${tag}${i}`)] })));
  for (;;) {
    const { busy, events } = await probe();
    if (busy === 0) return { seconds: (performance.now() - started) / 1000, events: events - before };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Setup {
  name: string;
  workers: LonghandProcess[];
  api: LonghandProcess;
  probe: Probe;
  /** Pids of the database's backends now (PostgreSQL only). */
  backends: () => Promise<number[]>;
  close: () => Promise<void>;
}

async function measure(setup: Setup, workerCount: number, scenario: Scenario): Promise<Result> {
  const SESSIONS = scenario.sessions;
  const prefix = scenario.slow ? 'slow' : '';
  const processes = [...new Set([setup.api, ...setup.workers])];
  try {
    await processes[0]!.start();
    await Promise.all(processes.slice(1).map((p) => p.start()));
    const client = new Anthropic({ baseURL: setup.api.url, apiKey: KEY, maxRetries: 5 });
    await load(client, setup.probe, WARMUP, `${prefix}warm`);
    const backendsBefore = new Map((await setup.backends()).map((pid) => [pid, cpuMs(pid)]));
    const workersBefore = setup.workers.map((w) => cpuMs(w.pid));
    const apiBefore = cpuMs(setup.api.pid);
    const { seconds, events } = await load(client, setup.probe, SESSIONS, `${prefix}run`);
    const workerCpu = setup.workers.reduce((sum, w, i) => sum + cpuMs(w.pid) - workersBefore[i]!, 0);
    const apiCpu = setup.workers.includes(setup.api) ? 0 : cpuMs(setup.api.pid) - apiBefore;
    const databaseCpu = (await setup.backends()).reduce((sum, pid) => sum + cpuMs(pid) - (backendsBefore.get(pid) ?? 0), 0);
    const result: Result = {
      name: setup.name,
      workers: workerCount,
      turnsPerSecond: SESSIONS / seconds,
      eventsPerSecond: events / seconds,
      cpu: { worker: workerCpu / SESSIONS, api: apiCpu / SESSIONS, database: databaseCpu / SESSIONS },
    };
    console.log(`  ${setup.name}: ${result.turnsPerSecond.toFixed(1)} turns/s, ${result.eventsPerSecond.toFixed(0)} events/s (${seconds.toFixed(1)} s)`);
    return result;
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await setup.close();
  }
}

async function postgres(workers: number, scenario: Scenario): Promise<Setup> {
  const db: TestDatabase = await createTestDatabase('longhand_bench');
  const common = { dataDir: join(dir, `pg-${workers}`), databaseUrl: db.url, env: { LONGHAND_API_KEY: KEY } };
  const workerArgs = ['--config', config, '--sandbox', 'none', '--concurrency', String(scenario.concurrency)];
  return {
    name: `PostgreSQL, 1 API + ${workers} worker process${workers > 1 ? 'es' : ''}`,
    api: new LonghandProcess({ ...common, role: 'api', port: await freePort(), args: ['--config', config] }),
    workers: Array.from({ length: workers }, () => new LonghandProcess({ ...common, role: 'worker', args: workerArgs })),
    probe: async () => {
      const [row] = await db.query<{ busy: number; events: number }>(
        `SELECT count(*) FILTER (WHERE wake_seq > 0 OR status <> 'idle')::int AS busy, COALESCE(sum(last_seq), 0)::int AS events FROM sessions`,
      );
      return row!;
    },
    backends: async () =>
      (await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)).map((r) => r.pid),
    close: () => db.drop(),
  };
}

async function sqlite(_workers: number, scenario: Scenario): Promise<Setup> {
  const dataDir = join(dir, `sqlite-${Math.random().toString(36).slice(2)}`);
  const server = new LonghandProcess({
    role: 'all',
    port: await freePort(),
    dataDir,
    env: { LONGHAND_API_KEY: KEY },
    args: ['--config', config, '--sandbox', 'none', '--concurrency', String(scenario.concurrency)],
  });
  let db: Database.Database | undefined;
  return {
    name: 'SQLite, 1 process (api + worker)',
    api: server,
    workers: [server],
    probe: async () => {
      db ??= new Database(join(dataDir, 'longhand.db'), { readonly: true });
      const row = db.prepare(`SELECT SUM(CASE WHEN wake_seq > 0 OR status <> 'idle' THEN 1 ELSE 0 END) AS busy, COALESCE(SUM(last_seq), 0) AS events FROM sessions`).get() as {
        busy: number | null;
        events: number;
      };
      return { busy: row.busy ?? 0, events: row.events };
    },
    backends: async () => [],
    close: async () => {
      db?.close();
    },
  };
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);

function report(scenario: Scenario, results: Result[]): void {
  const sqliteResult = results.find((r) => r.workers === 0)!;
  const base = results.find((r) => r.workers === 1) ?? sqliteResult;
  console.log(
    `\n${scenario.name}: ${scenario.sessions} sessions at once, model ${scenario.slow ? `${SLOW_MS} ms` : 'instant'} a request, ` +
      `up to ${scenario.concurrency} sessions a process\n${table([
        ['configuration', 'turns/s', 'events/s', 'vs 1 worker', 'vs SQLite', 'CPU ms/turn: workers', 'API', 'PostgreSQL'],
        ...results.map((r) => [
          r.name,
          fixed(r.turnsPerSecond),
          fixed(r.eventsPerSecond, 0),
          r.workers > 0 ? `${fixed(r.turnsPerSecond / base.turnsPerSecond, 2)}x` : '',
          `${fixed(r.turnsPerSecond / sqliteResult.turnsPerSecond, 2)}x`,
          fixed(r.cpu.worker),
          r.workers > 0 ? fixed(r.cpu.api) : '(same process)',
          r.workers > 0 ? fixed(r.cpu.database) : '',
        ]),
      ])}`,
  );
}

try {
  console.log(
    `bench/scale: one turn a session of ${STEPS} tool calls and an answer, after ${WARMUP} sessions to warm up; ` +
      `cpu-bound: best of ${ROUNDS} rounds; ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'})`,
  );
  for (const scenario of SCENARIOS) {
    const best = new Map<string, Result>();
    for (let round = 1; round <= scenario.rounds; round += 1) {
      console.log(`\n${scenario.name}, round ${round}`);
      const runs: Array<[(workers: number, scenario: Scenario) => Promise<Setup>, number]> = [[sqlite, 0], ...WORKERS.map((n): [typeof postgres, number] => [postgres, n])];
      for (const [setup, workers] of runs) {
        const result = await measure(await setup(workers, scenario), workers, scenario);
        const previous = best.get(result.name);
        if (!previous || result.turnsPerSecond > previous.turnsPerSecond) best.set(result.name, result);
      }
    }
    report(scenario, [...best.values()]);
  }
} finally {
  await provider.close();
  rmSync(dir, { recursive: true, force: true });
}
