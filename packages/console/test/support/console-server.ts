import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolCall, ToolExecutor } from '@longhand/harness';
import { startScriptedServer, type Script, type ScriptedServer } from '@longhand/harness/testing';
import { createRuntime, type Runtime, type RuntimeConfig } from '@longhand/runtime';
import { createApp, listen, type Listening } from '@longhand/server';
import { mountsUnder } from './mounts.js';

/** Built-in tools as plain functions: what they print is beside the point of the console's tests. */
export class FunctionTools implements ToolExecutor {
  readonly calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  constructor(private readonly output: (name: string, input: Record<string, unknown>) => string = (name) => `${name} ran`) {}
  specs(enabled: readonly string[]) {
    return enabled.map((name) => ({ name, description: `the ${name} tool`, input_schema: { type: 'object' } }));
  }
  async execute(call: ToolCall) {
    this.calls.push({ name: call.name, input: call.input });
    return { content: [{ type: 'text' as const, text: this.output(call.name, call.input) }], isError: false };
  }
  idempotent() {
    return false;
  }
}

/** A real Longhand server, in this process, serving the built console, with a scripted model. */
export interface ConsoleServer {
  url: string;
  /** A key of the default workspace, for signing in. */
  key: string;
  runtime: Runtime;
  model: ScriptedServer;
  /** The function tools; with real `hands` they are not used and record no calls. */
  tools: FunctionTools;
  /** Calls the API with `key`; throws on a non-2xx answer. */
  api<T = any>(method: string, path: string, body?: unknown): Promise<T>;
  /** Stops the server and its runtime, then starts them again on the same port and data. */
  restart(options?: { downMs?: number }): Promise<void>;
  close(): Promise<void>;
}

export interface ConsoleServerOptions {
  /** The built console to serve. */
  consoleDir: string;
  script: Script;
  toolOutput?: (name: string, input: Record<string, unknown>) => string;
  /** Extra runtime settings (`role: 'api'` runs no sessions). */
  runtime?: Partial<RuntimeConfig>;
  /**
   * Real hands instead of the function tools: the built-in tools run in real sandboxes of this
   * kind (`{ sandbox: 'bubblewrap' }`), so sessions have workspaces with real files that the
   * workspace endpoints list and checkpoints freeze.
   */
  hands?: NonNullable<RuntimeConfig['hands']>;
}

/**
 * Starts a server the way `longhand serve` does (runtime, app, listen), on a free port of
 * 127.0.0.1 with a fresh data directory; the model is the scripted Messages API server.
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'longhand-console-'));
  // Sandboxes run as their own uids and must be able to pass through to their files.
  await chmod(dataDir, 0o711);
  const model = await startScriptedServer(options.script);
  const tools = new FunctionTools(options.toolOutput);
  const config: RuntimeConfig = {
    dataDir,
    adminKey: `lh_admin_${randomBytes(12).toString('hex')}`,
    models: { providers: { scripted: { type: 'anthropic', baseURL: model.url, apiKey: 'test' } }, models: [], default: 'scripted' },
    // The runtime builds its sandboxed toolset only when it is given no tools of its own.
    ...(options.hands ? { hands: options.hands } : { tools, builtinTools: ['bash', 'read'] }),
    scheduler: { pollMs: 200, leaseMs: 3_000 },
    ...options.runtime,
  };
  let runtime = await createRuntime(config);
  const { key } = await runtime.auth.createKey({ name: 'console tests' });
  const serve = (port: number) => listen(createApp(runtime, { console: { dir: options.consoleDir } }), { port, host: '127.0.0.1' });
  let listening: Listening = await serve(0);
  const port = listening.port;
  let closed: Promise<void> | undefined;
  const server: ConsoleServer = {
    url: listening.url,
    key,
    get runtime() {
      return runtime;
    },
    model,
    tools,
    async api(method, path, body) {
      const response = await fetch(`${listening.url}${path}`, {
        method,
        headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
    async restart({ downMs = 300 } = {}) {
      await listening.close();
      await runtime.close();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      runtime = await createRuntime(config);
      listening = await serve(port);
    },
    close() {
      closed ??= (async () => {
        await listening.close();
        await runtime.close();
        await model.close();
        const leftovers = mountsUnder(dataDir);
        if (leftovers.length > 0) throw new Error(`the runtime closed but left mounted: ${leftovers.join(', ')}`);
        await rm(dataDir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
  return server;
}
