import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScriptedReply, ScriptView } from '@longhand/harness/testing';

/**
 * The model of the multi-process tests. A message `steps=N tag=T round=R` makes the agent call
 * a tool N times, one call per request, then answer `DONE T R`. It decides from the
 * conversation alone, so whichever worker asks (after any number of takeovers) gets the same
 * next step. The agents have no built-in tools, so each call is answered at once with an error
 * result ("no such tool"): multi-step turns without sandboxes.
 */
export function taskScript(options: { delayMs?: (tag: string) => number; textChunks?: number } = {}) {
  return (view: ScriptView): ScriptedReply => {
    const body = view.raw as { messages: Array<{ role: string; content: Array<{ type: string; text?: string }> | string }> };
    let lastTask = '';
    let callsSince = 0;
    for (const message of body.messages) {
      if (typeof message.content === 'string') continue;
      for (const block of message.content) {
        if (message.role === 'user' && block.type === 'text' && block.text?.startsWith('steps=')) {
          lastTask = block.text;
          callsSince = 0;
        }
        if (message.role === 'assistant' && block.type === 'tool_use') callsSince += 1;
      }
    }
    const match = /steps=(\d+) tag=(\S+) round=(\d+)/.exec(lastTask);
    if (!match) return { text: 'no task' };
    const [, steps, tag, round] = match;
    const delayMs = options.delayMs?.(tag!) ?? 10 + Math.floor(Math.random() * 40);
    const chunks = options.textChunks ?? 3;
    if (callsSince < Number(steps)) {
      return { delayMs, text: `step ${callsSince + 1} of ${tag}`, chunks, chunkDelayMs: 3, toolUses: [{ name: 'read', input: { file_path: `${tag}-${round}-${callsSince}` } }] };
    }
    return { delayMs, text: `DONE ${tag} ${round}`, chunks, chunkDelayMs: 3 };
  };
}

/** The user message of a task. */
export function task(steps: number, tag: string, round = 1) {
  return { type: 'user.message' as const, content: [{ type: 'text' as const, text: `steps=${steps} tag=${tag} round=${round}` }] };
}

/** Writes a `--config` file that routes every model to the scripted server at `url`; returns its path. */
export async function scriptedConfig(dir: string, url: string): Promise<string> {
  const path = join(dir, 'config.json');
  const config = { models: { providers: { scripted: { type: 'anthropic', baseURL: url, apiKey: 'k' } }, default: 'scripted' } };
  await writeFile(path, JSON.stringify(config));
  return path;
}
