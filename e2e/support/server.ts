import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic, { type ClientOptions } from '@anthropic-ai/sdk';
import { createRuntime, type Runtime, type RuntimeConfig } from '@longhand/runtime';
import { createApp, listen } from '@longhand/server';

/** One workspace of the test server, with a key of its own and a client that uses it. */
export interface TestTenant {
  workspaceId: string;
  key: string;
  keyId: string;
  client: Anthropic;
}

/** A real Longhand server on 127.0.0.1, reached over real HTTP. */
export interface TestServer {
  /** The base URL, such as `http://127.0.0.1:41234`. */
  url: string;
  runtime: Runtime;
  /** The admin key (`LONGHAND_API_KEY`): any workspace, chosen with `anthropic-workspace-id`. */
  adminKey: string;
  /** Workspace A: the tenant tests act as by default. */
  a: TestTenant;
  /** Workspace B: a second tenant that must never see A's resources. */
  b: TestTenant;
  /** An SDK client for `apiKey` against this server; `maxRetries: 0` unless overridden. */
  client(apiKey: string, options?: Omit<ClientOptions, 'apiKey' | 'baseURL'>): Anthropic;
  /** Stops the server, closes the runtime and removes the data directory. Idempotent. */
  close(): Promise<void>;
}

/** Options of `startServer`: any `RuntimeConfig` field (such as `runner`) plus the SSE heartbeat. */
export type TestServerOptions = Partial<Omit<RuntimeConfig, 'dataDir' | 'adminKey'>> & {
  /** How often open streams send `event: ping`. */
  heartbeatMs?: number;
};

/**
 * Options for tests of the control plane alone: an API-only runtime runs no sessions, so nothing
 * answers a `user.message` and a session's log holds exactly what the test wrote (tests play the
 * harness by appending to the store). Tests of the brain pass a `runner` (or models) instead.
 */
export const CONTROL_PLANE: TestServerOptions = { role: 'api' };

/**
 * Starts a Longhand server in this process on a free port of 127.0.0.1, with its data in a fresh
 * temporary directory, and makes a key for each of two workspaces. Extra `RuntimeConfig` fields
 * are passed to `createRuntime` as they are.
 *
 * @example
 * const server = await startServer();
 * const agent = await server.a.client.beta.agents.create({ name: 'a', model: 'claude-sonnet-4-6' });
 * await server.close();
 */
export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { heartbeatMs, ...config } = options;
  const dataDir = await mkdtemp(join(tmpdir(), 'longhand-e2e-'));
  // Sandboxes run as their own uids and must be able to pass through to their files.
  await chmod(dataDir, 0o711);
  const adminKey = `lh_admin_${randomBytes(16).toString('hex')}`;
  const runtime = await createRuntime({ ...config, dataDir, adminKey });
  const app = createApp(runtime, heartbeatMs === undefined ? {} : { heartbeatMs });
  const listening = await listen(app, { port: 0, host: '127.0.0.1' });
  const client = (apiKey: string, extra: Omit<ClientOptions, 'apiKey' | 'baseURL'> = {}) =>
    new Anthropic({ baseURL: listening.url, apiKey, maxRetries: 0, ...extra });
  const tenant = async (name: string): Promise<TestTenant> => {
    const workspace = await runtime.auth.createWorkspace(name);
    const { key, record } = await runtime.auth.createKey({ workspace: workspace.id, name: `${name}-key` });
    return { workspaceId: workspace.id, key, keyId: record.id, client: client(key) };
  };
  const a = await tenant('tenant-a');
  const b = await tenant('tenant-b');
  let closed: Promise<void> | undefined;
  return {
    url: listening.url,
    runtime,
    adminKey,
    a,
    b,
    client,
    close() {
      closed ??= (async () => {
        await listening.close();
        await runtime.close();
        await rm(dataDir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
