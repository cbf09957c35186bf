/**
 * bench/harness: what the brain costs per step and per turn, beside the bare model-call loop.
 *
 *   npm run bench -- harness
 *
 * Step overhead: from the end of one model stream to the start of the next model request, with
 * an instant tool and an instant scripted model, on a real SQLite file (fsync on every commit).
 * Throughput: turns per second with 100 concurrent sessions through the real scheduler.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_HARNESS_CONFIG, Harness, textOutcome, type Model, type ModelRequest, type ModelStreamEvent, type ToolExecutor } from '@longhand/harness';
import { ScriptedModel, type Script } from '@longhand/harness/testing';
import { createRuntime } from '@longhand/runtime';
import { openSqliteStore } from '@longhand/store/sqlite';
import { ms, percentile, table } from './stats.js';

const STEPS = Number(process.env.BENCH_STEPS ?? 20);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100);
const TURN_STEPS = 3;

/** Calls `steps` tool rounds, then answers. */
function stepper(steps: number): Script {
  return (view) => (view.toolResults.length > 0 && view.assistantTurns >= steps ? { text: 'done' } : { toolUses: [{ name: 'read', input: { file_path: 'x' } }] });
}

/** A model that records when each request starts and when its response has been streamed. */
class TimedModel implements Model {
  readonly contextWindow = 1_000_000;
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  constructor(private readonly inner: Model) {}
  async *stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
    this.starts.push(performance.now());
    for await (const event of this.inner.stream(request, signal)) {
      if (event.type === 'response') this.ends.push(performance.now());
      yield event;
    }
  }
}

const instantTools: ToolExecutor = {
  specs: (enabled) => enabled.map((name) => ({ name, description: name, input_schema: { type: 'object' } })),
  execute: async () => textOutcome('ok'),
  idempotent: () => true,
};

const TOOLSET = {
  type: 'agent_toolset_20260401' as const,
  default_config: { enabled: true, permission_policy: { type: 'always_allow' as const } },
  configs: [],
};

async function stepOverhead(dir: string): Promise<{ overheads: number[]; bare: number[] }> {
  const store = await openSqliteStore(join(dir, 'steps.db'));
  const model = new TimedModel(new ScriptedModel(stepper(STEPS)));
  const harness = new Harness({
    log: store.events,
    sessions: store.sessions,
    models: { resolve: () => model },
    tools: instantTools,
    builtinTools: ['read'],
    prices: [],
    config: DEFAULT_HARNESS_CONFIG,
  });
  const overheads: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    model.starts.length = 0;
    model.ends.length = 0;
    const now = new Date().toISOString();
    const id = `sesn_bench${round}`;
    await store.sessions.create('wrkspc_bench', {
      type: 'session', id, title: null, status: 'idle', environment_id: 'env', resources: [], vault_ids: [], metadata: {}, usage: {}, stats: {},
      outcome_evaluations: [], budget: null, archived_at: null, created_at: now, updated_at: now,
      agent: { type: 'agent', id: 'agent_bench', version: 1, name: 'bench', description: null, system: null, model: { id: 'bench' }, tools: [TOOLSET], mcp_servers: [], skills: [], execution_identity: { type: 'service_account' }, multiagent: null },
    });
    await store.events.append(id, [{ body: { type: 'user.message', content: [{ type: 'text', text: 'go' }] }, processedAt: null }], { wake: true });
    const lease = (await store.sessions.acquireLease(id, 'bench', 600_000))!;
    await harness.run(id, lease, new AbortController().signal);
    // Skip the first round: it warms up JIT and caches.
    if (round > 0) for (let i = 1; i < model.starts.length; i += 1) overheads.push(model.starts[i]! - model.ends[i - 1]!);
  }
  await store.close();
  // The bare loop: the same model called back to back with the same growing requests.
  const bareModel = new TimedModel(new ScriptedModel(stepper(STEPS)));
  const bare: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    const request: ModelRequest = { model: { id: 'bench' }, system: null, messages: [{ role: 'user', content: [{ type: 'text', text: 'go' }] }], tools: [], maxTokens: 1000, cacheAfter: [] };
    let previousEnd = 0;
    for (let step = 0; step <= STEPS; step += 1) {
      const started = performance.now();
      if (previousEnd && round > 0) bare.push(started - previousEnd);
      for await (const event of bareModel.stream(request, new AbortController().signal)) void event;
      previousEnd = performance.now();
      request.messages.push({ role: 'assistant', content: [{ type: 'tool_use', id: `t${step}`, name: 'read', input: {} }] });
      request.messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `t${step}`, content: [], is_error: false }] });
    }
  }
  return { overheads, bare };
}

async function throughput(dir: string): Promise<{ harnessTurnsPerSecond: number; bareTurnsPerSecond: number }> {
  const model = new ScriptedModel(stepper(TURN_STEPS));
  const runtime = await createRuntime({
    dataDir: join(dir, 'runtime'),
    models: { resolve: () => model },
    tools: instantTools,
    builtinTools: ['read'],
    prices: [{ match: '*', price: { input: 0, output: 0 } }],
    scheduler: { pollMs: 50, concurrency: SESSIONS },
  });
  const caller = { workspaceId: 'wrkspc_default', keyId: null, admin: true };
  const agent = await runtime.agents.create(caller, { name: 'bench', model: 'bench-model', tools: [TOOLSET] });
  const environment = await runtime.environments.create(caller, { name: 'bench' });
  const ids: string[] = [];
  for (let i = 0; i < SESSIONS; i += 1) ids.push((await runtime.sessions.create(caller, { agent: agent.id, environment_id: environment.id })).id);
  const started = performance.now();
  await Promise.all(ids.map((id) => runtime.events.send(caller, id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }])));
  for (;;) {
    const records = await Promise.all(ids.map((id) => runtime.store.sessions.get(id)));
    if (records.every((r) => r!.session.status === 'idle' && r!.wakeSeq === 0 && r!.lastSeq > 5)) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const harnessSeconds = (performance.now() - started) / 1000;
  await runtime.close();
  // The bare loop: the same number of model calls per turn, 100 turns at once, nothing else.
  const bareModel = new ScriptedModel(stepper(TURN_STEPS));
  const bareStarted = performance.now();
  await Promise.all(
    ids.map(async () => {
      const request: ModelRequest = { model: { id: 'bench' }, system: null, messages: [{ role: 'user', content: [{ type: 'text', text: 'go' }] }], tools: [], maxTokens: 1000, cacheAfter: [] };
      for (let step = 0; step <= TURN_STEPS; step += 1) {
        for await (const event of bareModel.stream(request, new AbortController().signal)) void event;
        request.messages.push({ role: 'assistant', content: [{ type: 'tool_use', id: `t${step}`, name: 'read', input: {} }] });
        request.messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `t${step}`, content: [], is_error: false }] });
      }
    }),
  );
  const bareSeconds = (performance.now() - bareStarted) / 1000;
  return { harnessTurnsPerSecond: SESSIONS / harnessSeconds, bareTurnsPerSecond: SESSIONS / bareSeconds };
}

const dir = mkdtempSync(join(tmpdir(), 'longhand-bench-harness-'));
try {
  const { overheads, bare } = await stepOverhead(dir);
  const { harnessTurnsPerSecond, bareTurnsPerSecond } = await throughput(dir);
  const p50 = percentile(overheads, 50);
  const bareP50 = percentile(bare, 50);
  console.log(`bench/harness: ${overheads.length} steps measured (${STEPS} tool rounds a turn), ${SESSIONS} concurrent sessions (${TURN_STEPS} rounds a turn)\n`);
  console.log(
    table([
      ['measure', 'harness', 'bare model loop', 'ratio'],
      ['step overhead p50', ms(p50), ms(bareP50), `${(p50 / bareP50).toFixed(0)}x`],
      ['step overhead p90', ms(percentile(overheads, 90)), ms(percentile(bare, 90)), ''],
      ['step overhead p99', ms(percentile(overheads, 99)), ms(percentile(bare, 99)), ''],
      [`turns/s, ${SESSIONS} sessions`, harnessTurnsPerSecond.toFixed(1), bareTurnsPerSecond.toFixed(1), `${(bareTurnsPerSecond / harnessTurnsPerSecond).toFixed(0)}x slower`],
    ]),
  );
  console.log(`\ngoal: step overhead p50 < 5 ms -> ${p50 < 5 ? 'met' : 'NOT met'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
