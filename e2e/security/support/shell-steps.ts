/**
 * Several attempts in one bash call, each judged on its own: every command runs in a subshell
 * (so an `exit` or `exec` in one cannot end the others) with its output and exit status framed by
 * markers. One call instead of one per attempt keeps the suite fast.
 */
import type { PuppetSession } from './puppet.js';

/** What one command printed (stdout and stderr) and how it exited. */
export interface StepResult {
  command: string;
  output: string;
  exitCode: number;
}

/** Runs `commands` in the session's sandbox through the bash tool; one result per command. */
export async function runSteps(session: PuppetSession, commands: readonly string[], timeoutMs = 60_000): Promise<StepResult[]> {
  // The empty echo ends output that has no final newline, so the marker starts its own line.
  const script = commands.map((command, index) => `echo "@@step ${index}"; ( ${command}\n) 2>&1 </dev/null; rc=$?; echo; echo "@@rc $rc"`).join('\n');
  const outcome = await session.bash(script, timeoutMs);
  const results: StepResult[] = [];
  for (const [index, command] of commands.entries()) {
    const match = new RegExp(`^@@step ${index}\\n([\\s\\S]*?)^@@rc (\\d+)$`, 'm').exec(outcome.text);
    if (!match) throw new Error(`step ${index} (${command}) left no result; the call returned:\n${outcome.text.slice(0, 3000)}`);
    results.push({ command, output: match[1]!.trimEnd(), exitCode: Number(match[2]) });
  }
  return results;
}

/** Asserts-friendly view: every step that exited 0 (an attempt that should have failed). */
export function succeeded(results: readonly StepResult[]): StepResult[] {
  return results.filter((result) => result.exitCode === 0);
}
