import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bashTool, type ToolResult } from '../../src/index.js';
import { openTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { textOf } from '../support/tool-text.js';

let box: TestSandbox;
beforeAll(async () => {
  box = await openTestSandbox('bash');
});
afterAll(() => box?.close());

const bash = (input: unknown, options?: Parameters<typeof bashTool>[2]): Promise<ToolResult> => bashTool(input, box.sandbox, options);

describe('bash', () => {
  it('runs a command and returns its output', async () => {
    const result = await bash({ command: 'echo hello' });
    expect(result).toEqual({ content: [{ type: 'text', text: 'hello' }], isError: false });
  });

  it('returns stdout and stderr together', async () => {
    const result = await bash({ command: 'echo out; echo err >&2' });
    expect(textOf(result).split('\n').sort()).toEqual(['err', 'out']);
  });

  it('keeps the working directory and exported variables between calls', async () => {
    await bash({ command: 'mkdir -p /workspace/cwd-test/sub && cd /workspace/cwd-test/sub && export LONGHAND_TEST_VAR=kept' });
    expect(textOf(await bash({ command: 'pwd; echo "$LONGHAND_TEST_VAR"' }))).toBe('/workspace/cwd-test/sub\nkept');
    await bash({ command: 'cd /workspace' });
  });

  it('says (no output) when a command prints nothing', async () => {
    expect(await bash({ command: 'true' })).toEqual({ content: [{ type: 'text', text: '(no output)' }], isError: false });
  });

  it('reports a non-zero exit as an error that carries the output and the status', async () => {
    const result = await bash({ command: '(echo partial; echo oops >&2; exit 3)' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('partial\noops\n[exit code 3]');
  });

  it('survives `exit` in the persistent shell: the status is reported and the next command gets a new shell', async () => {
    const result = await bash({ command: 'exit 4' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('[exit code 4]');
    expect(textOf(await bash({ command: 'echo alive' }))).toBe('alive');
  });

  it('reports a failing command with no output by its status alone', async () => {
    const result = await bash({ command: 'false' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('(no output)\n[exit code 1]');
  });

  it('strips colour escapes and keeps unicode', async () => {
    expect(textOf(await bash({ command: "printf '\\033[31mred\\033[0m héllo 日本 😀\\n'" }))).toBe('red héllo 日本 😀');
  });

  it('kills a command that runs past its timeout and keeps the shell usable', async () => {
    const result = await bash({ command: 'echo started; sleep 30', timeout_ms: 500 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('started');
    expect(textOf(result)).toContain('timed out after 500 ms');
    expect(textOf(await bash({ command: 'echo after' }))).toBe('after');
  });

  it('uses the configured default timeout and lowers requests above the maximum', async () => {
    expect(textOf(await bash({ command: 'sleep 30' }, { defaultTimeoutMs: 300 }))).toContain('timed out after 300 ms');
    expect(textOf(await bash({ command: 'sleep 30', timeout_ms: 3_600_000 }, { maxTimeoutMs: 400 }))).toContain('timed out after 400 ms');
  });

  it('does not wait for background processes', async () => {
    // If either job held the call open, it would hit the timeout and fail.
    const result = await bash({ command: 'sleep 120 & (sleep 120 > /dev/null 2>&1 &); echo launched', timeout_ms: 20_000 });
    expect(result).toEqual({ content: [{ type: 'text', text: 'launched' }], isError: false });
  });

  it('cuts huge output, keeping its start and end, with a notice', async () => {
    const result = await bash({ command: 'seq 1 200000' }, { maxOutputChars: 10_000 });
    const text = textOf(result);
    expect(result.isError).toBe(false);
    expect(text.startsWith('1\n2\n3\n')).toBe(true);
    expect(text).toContain('200000');
    expect(text).toContain('[output truncated');
    expect(text.length).toBeLessThan(11_000);
  });

  it('gives a command no standard input, so reading it does not hang', async () => {
    expect(textOf(await bash({ command: 'cat; echo done', timeout_ms: 20_000 }))).toBe('done');
  });

  it('restarts the shell on request, resetting directory and variables', async () => {
    await bash({ command: 'export GONE_AFTER_RESTART=1; cd /tmp' });
    expect(await bash({ restart: true })).toEqual({ content: [{ type: 'text', text: 'bash session restarted' }], isError: false });
    expect(textOf(await bash({ command: 'pwd; echo "${GONE_AFTER_RESTART:-unset}"' }))).toBe('/workspace\nunset');
  });

  it('runs a command given with restart in the fresh shell', async () => {
    await bash({ command: 'export BEFORE=1' });
    expect(textOf(await bash({ restart: true, command: 'echo "${BEFORE:-fresh}"' }))).toBe('fresh');
  });

  it('stops a command when the call is interrupted', async () => {
    const controller = new AbortController();
    const pending = bash({ command: 'echo begun; sleep 60' }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    const result = await pending;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('interrupted');
    const next = await bash({ command: 'echo next' });
    expect(next.isError).toBe(false);
    expect(textOf(next).split('\n').at(-1)).toBe('next');
  });

  it('rejects malformed input with a clear error and runs nothing', async () => {
    for (const [input, message] of [
      [{}, '"command" is required'],
      [{ command: 42 }, '"command" must be a string'],
      [{ command: '' }, '"command" must not be empty'],
      [{ command: 'echo x', timeout_ms: 0 }, '"timeout_ms" must be at least 1'],
      [{ command: 'echo x', timeout_ms: 1.5 }, '"timeout_ms" must be an integer'],
      [{ restart: 'yes' }, '"restart" must be true or false'],
      [{ command: 'echo x', cwd: '/' }, 'unknown field "cwd"'],
      [['echo x'], 'must be a JSON object'],
    ] as const) {
      const result = await bash(input);
      expect(result.isError, JSON.stringify(input)).toBe(true);
      expect(textOf(result)).toContain(message);
    }
  });
});
