import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { startScriptedServer, type Script, type ScriptedServer } from '@longhand/harness/testing';
import { freePort } from '../../support/server-process.js';
import { LonghandProcess } from './longhand-process.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { scriptedConfig } from './task-script.js';

export const ADMIN_KEY = 'lh_admin_scale_test_key';

/** A deployment on loopback: one fresh PostgreSQL database, API and worker processes, a scripted model. */
export interface Cluster {
  db: TestDatabase;
  provider: ScriptedServer;
  apis: LonghandProcess[];
  workers: LonghandProcess[];
  /** An SDK client of each API process. */
  clients: Anthropic[];
  /** A worker process more, not started. */
  worker(args?: string[]): LonghandProcess;
  /** An agent (no built-in tools) and an environment to make sessions of. */
  agentId: string;
  environmentId: string;
  close(): Promise<void>;
}

export interface ClusterOptions {
  apis: number;
  workers: number;
  script: Script;
  /** Flags of every worker (`--lease-ms`, `--poll-ms`, …). */
  workerArgs?: string[];
}

/**
 * Starts the processes of a multi-process deployment (in parallel) against a fresh database.
 * Workers run with `--sandbox none`: the agents have no built-in tools, so no sandboxes.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const db = await createTestDatabase('longhand_scale');
  const provider = await startScriptedServer(options.script);
  const dir = await mkdtemp(join(tmpdir(), 'longhand-scale-'));
  const config = await scriptedConfig(dir, provider.url);
  const env = { LONGHAND_API_KEY: ADMIN_KEY };
  const common = { dataDir: join(dir, 'data'), databaseUrl: db.url, env };
  const worker = (args: string[] = options.workerArgs ?? []) =>
    new LonghandProcess({ ...common, role: 'worker', args: ['--config', config, '--sandbox', 'none', ...args] });
  const apis: LonghandProcess[] = [];
  for (let i = 0; i < options.apis; i += 1) apis.push(new LonghandProcess({ ...common, role: 'api', port: await freePort(), args: ['--config', config] }));
  const workers = Array.from({ length: options.workers }, () => worker());
  const all = [...apis, ...workers];
  const close = async () => {
    await Promise.all(all.map((p) => p.kill()));
    await provider.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // The schema first, so that the processes do not all wait on the migration lock at once.
    await apis[0]!.start();
    await Promise.all(all.slice(1).map((p) => p.start()));
  } catch (error) {
    await close();
    throw error;
  }
  const clients = apis.map((api) => new Anthropic({ baseURL: api.url, apiKey: ADMIN_KEY, maxRetries: 3 }));
  const agent = await clients[0]!.beta.agents.create({ name: 'scale', model: 'claude-sonnet-4-6', tools: [] } as never);
  const environment = await clients[0]!.beta.environments.create({ name: 'scale' });
  return {
    db,
    provider,
    apis,
    workers,
    clients,
    worker: (args) => {
      const process = worker(args);
      all.push(process);
      return process;
    },
    agentId: agent.id,
    environmentId: environment.id,
    close,
  };
}
