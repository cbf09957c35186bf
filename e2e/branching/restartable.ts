import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { startScriptedServer, type ScriptedServer } from '@longhand/harness/testing';
import { createRuntime, type Runtime } from '@longhand/runtime';
import { createApp, listen, type Listening } from '@longhand/server';
import { runner, TOOLSET } from './support.js';

/** A Longhand server that can be stopped and started again on the same data directory. */
export class RestartableServer {
  runtime!: Runtime;
  client!: Anthropic;
  private listening!: Listening;
  private constructor(
    readonly dataDir: string,
    private readonly provider: ScriptedServer,
    readonly adminKey: string,
  ) {}

  static async start(): Promise<RestartableServer> {
    const dataDir = await mkdtemp(join(tmpdir(), 'longhand-branching-'));
    await chmod(dataDir, 0o711);
    const server = new RestartableServer(dataDir, await startScriptedServer(runner as never), `lh_admin_${randomBytes(8).toString('hex')}`);
    await server.open();
    return server;
  }

  async open(): Promise<void> {
    this.runtime = await createRuntime({
      dataDir: this.dataDir,
      adminKey: this.adminKey,
      models: { providers: { scripted: { type: 'anthropic', baseURL: this.provider.url, apiKey: 'k' } }, models: [], default: 'scripted' },
      scheduler: { pollMs: 100 },
    });
    this.listening = await listen(createApp(this.runtime), { port: 0, host: '127.0.0.1' });
    this.client = new Anthropic({ baseURL: this.listening.url, apiKey: this.adminKey, maxRetries: 0 });
  }

  get url(): string {
    return this.listening.url;
  }

  /** Every request the scripted model received. */
  get modelRequests(): Array<Record<string, any>> {
    return this.provider.requests;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.open();
  }

  async stop(): Promise<void> {
    await this.listening.close();
    await this.runtime.close();
  }

  async agentAndEnvironment(): Promise<{ agent: string; environment: string }> {
    const agent = await this.client.beta.agents.create({ name: 'runner', model: 'claude-sonnet-4-6', tools: [TOOLSET] } as never);
    const environment = await this.client.beta.environments.create({ name: `env-${randomBytes(4).toString('hex')}` });
    return { agent: agent.id, environment: environment.id };
  }

  async close(): Promise<void> {
    await this.stop().catch(() => undefined);
    await this.provider.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
