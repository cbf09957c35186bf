/**
 * A Longhand server for tests of environments' packages: real bubblewrap sandboxes, a real
 * SQLite file, a scripted model that runs `RUN: <command>` with the bash tool, and package
 * mirrors on loopback. It can be restarted on the same data directory.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { startScriptedServer, type ScriptedServer } from '@longhand/harness/testing';
import { createRuntime, type PackagesConfig, type Runtime } from '@longhand/runtime';
import { createApp, listen, type Listening } from '@longhand/server';
import { run, runner, TOOLSET } from '../../branching/support.js';

export class PackageRig {
  runtime!: Runtime;
  client!: Anthropic;
  /** What the server logged (build starts, failures). */
  readonly logs: string[] = [];
  private listening!: Listening;
  private agentId = '';

  private constructor(
    readonly dataDir: string,
    private readonly provider: ScriptedServer,
    private readonly packages: PackagesConfig,
  ) {}

  static async start(packages: PackagesConfig): Promise<PackageRig> {
    const dataDir = await mkdtemp(join(tmpdir(), 'longhand-packages-'));
    // Sandboxes run as their own uids and must be able to pass through to their files.
    await chmod(dataDir, 0o711);
    const rig = new PackageRig(dataDir, await startScriptedServer(runner as never), packages);
    await rig.open();
    const agent = await rig.client.beta.agents.create({ name: 'runner', model: 'claude-sonnet-4-6', tools: [TOOLSET] } as never);
    rig.agentId = agent.id;
    return rig;
  }

  async open(): Promise<void> {
    this.runtime = await createRuntime({
      dataDir: this.dataDir,
      adminKey: 'lh_admin_packages_test',
      models: { providers: { scripted: { type: 'anthropic', baseURL: this.provider.url, apiKey: 'k' } }, models: [], default: 'scripted' },
      scheduler: { pollMs: 100 },
      hands: { packages: this.packages },
      log: (message) => this.logs.push(message),
    });
    this.listening = await listen(createApp(this.runtime), { port: 0, host: '127.0.0.1' });
    this.client = new Anthropic({ baseURL: this.listening.url, apiKey: 'lh_admin_packages_test', maxRetries: 0 });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.open();
  }

  async stop(): Promise<void> {
    await this.listening.close();
    await this.runtime.close();
  }

  /** Creates an environment with `packages` (and unrestricted networking unless told). */
  async environment(packages: Record<string, string[]>, networking: Record<string, unknown> = { type: 'unrestricted' }): Promise<string> {
    const environment = await this.client.beta.environments.create({
      name: `env-${randomBytes(4).toString('hex')}`,
      config: { type: 'cloud', networking, packages },
    } as never);
    return environment.id;
  }

  async session(environmentId: string): Promise<string> {
    return (await this.client.beta.sessions.create({ agent: this.agentId, environment_id: environmentId } as never)).id;
  }

  /** Runs `command` with the session's bash tool; returns its output (or the tool's error). */
  run(sessionId: string, command: string): Promise<string> {
    return run(this.client, sessionId, command);
  }

  /** How many base builds the server has started so far. */
  get builds(): number {
    return this.logs.filter((line) => /installing its packages into a base layer/.test(line)).length;
  }

  async close(): Promise<void> {
    await this.stop().catch(() => undefined);
    await this.provider.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
