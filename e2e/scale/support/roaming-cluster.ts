import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { startScriptedServer, type ScriptedServer } from '@longhand/harness/testing';
import { startS3Server, type S3Server } from '../../../packages/runtime/test/support/s3-server.js';
import { runner, TOOLSET } from '../../branching/support.js';
import { freePort } from '../../support/server-process.js';
import { LonghandProcess } from './longhand-process.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { scriptedConfig } from './task-script.js';

export const ADMIN_KEY = 'lh_admin_roaming_test_key';

/**
 * A deployment with no shared filesystem: one PostgreSQL database, an object store (a directory
 * standing for a shared mount, or an S3 server on loopback), API processes and workers that each
 * keep a data directory of their own. Workers run real bubblewrap sandboxes; the scripted agent
 * runs the command a message names (`RUN: …`, see e2e/branching/support.ts).
 */
export interface RoamingCluster {
  db: TestDatabase;
  provider: ScriptedServer;
  apis: LonghandProcess[];
  /** An SDK client of each API process. */
  clients: Anthropic[];
  /** Workers, not started: each with its own data directory. */
  workers: LonghandProcess[];
  /** The `--object-store` URL every process was given. */
  objectStore: string;
  /** For `file://`: the directory. */
  objectDir: string | undefined;
  agentId: string;
  environmentId: string;
  session(): Promise<string>;
  close(): Promise<void>;
}

export interface RoamingClusterOptions {
  store: 'file' | 's3';
  apis?: number;
  workers?: number;
  /** More arguments for every worker (e.g. package mirrors). */
  workerArgs?: string[];
}

export async function startRoamingCluster(options: RoamingClusterOptions): Promise<RoamingCluster> {
  const db = await createTestDatabase('longhand_roam');
  const provider = await startScriptedServer(runner as never);
  const dir = await mkdtemp(join(tmpdir(), 'longhand-roam-'));
  let s3: S3Server | undefined;
  let objectStore: string;
  let objectDir: string | undefined;
  const env: Record<string, string> = { LONGHAND_API_KEY: ADMIN_KEY };
  if (options.store === 's3') {
    s3 = await startS3Server();
    objectStore = s3.url('deployment');
    env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
  } else {
    objectDir = join(dir, 'objects');
    objectStore = `file://${objectDir}`;
  }
  const config = await scriptedConfig(dir, provider.url);
  const common = { databaseUrl: db.url, env };
  const storeArgs = ['--config', config, '--object-store', objectStore];
  const apis: LonghandProcess[] = [];
  for (let i = 0; i < (options.apis ?? 1); i += 1) {
    apis.push(new LonghandProcess({ ...common, role: 'api', port: await freePort(), dataDir: join(dir, `api-${i}`), args: storeArgs }));
  }
  const workers = Array.from(
    { length: options.workers ?? 2 },
    (_, i) => new LonghandProcess({ ...common, role: 'worker', dataDir: join(dir, `worker-${i}`), args: [...storeArgs, '--lease-ms', '2000', '--poll-ms', '200', ...(options.workerArgs ?? [])] }),
  );
  const close = async () => {
    await Promise.all([...apis, ...workers].map((p) => p.stop()));
    await provider.close();
    await s3?.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const api of apis) await api.start();
  } catch (error) {
    await close();
    throw error;
  }
  const clients = apis.map((api) => new Anthropic({ baseURL: api.url, apiKey: ADMIN_KEY, maxRetries: 3 }));
  const agent = await clients[0]!.beta.agents.create({ name: 'roaming', model: 'claude-sonnet-4-6', tools: [TOOLSET] } as never);
  const environment = await clients[0]!.beta.environments.create({ name: 'roaming' });
  return {
    db,
    provider,
    apis,
    clients,
    workers,
    objectStore,
    objectDir,
    agentId: agent.id,
    environmentId: environment.id,
    session: async () => (await clients[0]!.beta.sessions.create({ agent: agent.id, environment_id: environment.id })).id,
    close,
  };
}
