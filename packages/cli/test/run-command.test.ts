import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '@longhand/runtime';
import { createApp, listen, type Listening } from '@longhand/server';
import { startScriptedServer, type ScriptedServer } from '@longhand/harness/testing';

const BIN = join(import.meta.dirname, '..', 'bin', 'longhand.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; when `tty` is set it runs under a pseudo-terminal and answers prompts. */
function longhand(args: string[], env: Record<string, string>, answers: Array<[RegExp, string]> = [], tty = false): Promise<Result> {
  const command = tty ? 'script' : process.execPath;
  const argv = tty ? ['-q', '-e', '-c', [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' '), '/dev/null'] : [BIN, ...args];
  const child = spawn(command, argv, { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const pending = [...answers];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const next = pending[0];
    if (next && next[0].test(stdout)) {
      pending.shift();
      child.stdin.write(`${next[1]}\r`);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  if (!tty) child.stdin.end();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

let provider: ScriptedServer;
let runtime: Runtime;
let server: Listening;
let dataDir: string;
let env: Record<string, string>;
let agentId: string;
let weatherAgentId: string;

beforeAll(async () => {
  provider = await startScriptedServer((view, call) => {
    if (view.toolNames.includes('get_weather') && view.toolResults.length === 0) return { toolUses: [{ name: 'get_weather', input: { city: 'Lima' } }] };
    if (view.toolResults.length > 0) return { text: `Weather: ${view.toolResults[0]!.text}` };
    return { text: `# Answer\nYou said **${view.lastUserText}** (call ${call}).`, chunks: 3 };
  });
  dataDir = await mkdtemp(join(tmpdir(), 'longhand-cli-'));
  await chmod(dataDir, 0o711);
  runtime = await createRuntime({
    dataDir,
    models: { providers: { scripted: { type: 'anthropic', baseURL: provider.url, apiKey: 'k' } }, models: [], default: 'scripted' },
    scheduler: { pollMs: 100 },
  });
  server = await listen(createApp(runtime), { port: 0, host: '127.0.0.1' });
  const { key } = await runtime.auth.createKey();
  env = { LONGHAND_URL: server.url, LONGHAND_KEY: key };
  const caller = { workspaceId: 'wrkspc_default', keyId: null, admin: true };
  agentId = (await runtime.agents.create(caller, { name: 'plain', model: 'claude-sonnet-4-6' })).id;
  weatherAgentId = (
    await runtime.agents.create(caller, {
      name: 'weather',
      model: 'claude-sonnet-4-6',
      tools: [{ type: 'custom', name: 'get_weather', description: 'weather', input_schema: { type: 'object' } }],
    })
  ).id;
});

afterAll(async () => {
  await server.close();
  await runtime.close();
  await provider.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('longhand run', () => {
  it('creates a session, streams the answer as readable text, and exits 0 at idle', async () => {
    const result = await longhand(['run', '--agent', agentId, 'hello there'], env);
    expect(result.stderr).toMatch(/session sesn_/);
    expect(result.stdout).toContain('Answer');
    expect(result.stdout).toContain('You said hello there');
    expect(result.stdout).not.toContain('**');
    expect(result.code).toBe(0);
    const sessionId = /session (sesn_\w+)/.exec(result.stderr)![1]!;
    const again = await longhand(['run', '--session', sessionId, 'and again'], env);
    expect(again.stdout).toContain('You said and again');
    const history = await runtime.store.events.read(sessionId, { types: ['user.message'] });
    expect(history).toHaveLength(2);
  });

  it('exits 3 when the session waits for an answer and there is no terminal to ask', async () => {
    const result = await longhand(['run', '--agent', weatherAgentId, 'weather?'], env);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('get_weather');
    expect(result.stderr).toMatch(/waits for 1 answer/);
  });

  it('asks for a custom tool result at the terminal and finishes the turn', async () => {
    const result = await longhand(['run', '--agent', weatherAgentId, 'weather?'], env, [[/Result for get_weather/, 'sunny and 24C']], true);
    expect(result.stdout).toContain('Weather: sunny and 24C');
    expect(result.code).toBe(0);
  });

  it('lists and shows sessions', async () => {
    const list = await longhand(['sessions', 'list'], env);
    expect(list.code).toBe(0);
    const id = /sesn_\w+/.exec(list.stdout)![0];
    const show = await longhand(['sessions', 'show', id], env);
    expect(show.stdout).toContain(`id           ${id}`);
    expect(show.stdout).toMatch(/usage +\d+ in/);
  });

  it('says clearly when no key is given', async () => {
    const result = await longhand(['sessions', 'list'], { LONGHAND_URL: server.url, LONGHAND_KEY: '', LONGHAND_API_KEY: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no API key');
  });
});
