import type { Script } from '@longhand/harness/testing';
import type { ConsoleServer } from './console-server.js';

/**
 * The scripted model of the console's tests and screenshots. What it does depends on the last
 * user message: "bash" or "disk" calls the bash tool, "save" writes `DEMO_FILES` with the write
 * tool, "weather" the custom tool `get_weather`,
 * "slow" writes a long answer slowly (to interrupt it), "html" answers with markup that must
 * show as text, "fail" fails every time; anything else gets a short Markdown answer. Tool results get a summary.
 */
export const demoScript: Script = (view) => {
  const usage = { input_tokens: 1200 + view.userTexts.length * 350, output_tokens: 180 + view.assistantTurns * 40 };
  if (view.toolResults.length > 0) {
    const result = view.toolResults[0]!;
    return {
      text: result.isError ? `The tool reported an error: ${result.text}` : `Here is what came back:\n\n\`\`\`\n${result.text}\n\`\`\`\n\nThe **workspace** has plenty of room.`,
      usage,
    };
  }
  const text = view.lastUserText.toLowerCase();
  if (text.includes('fail')) return { error: { status: 500, message: 'the scripted model is down' } };
  if (text.includes('slow')) return { text: 'Working through it step by step. '.repeat(60), chunks: 60, chunkDelayMs: 150, usage };
  if (text.includes('save')) return { text: 'Saving the outline and the data.', toolUses: DEMO_FILES.map(([file_path, content]) => ({ name: 'write', input: { file_path, content } })), usage };
  if (text.includes('bash') || text.includes('disk')) return { text: 'Let me look at the disk.', toolUses: [{ name: 'bash', input: { command: 'df -h /workspace' } }], usage };
  if (text.includes('weather')) return { text: 'I will ask your weather service.', toolUses: [{ name: 'get_weather', input: { city: 'Lisbon' } }], usage };
  if (text.includes('html')) return { text: 'Raw markup stays text: <script>window.__pwned = true</script> <b>not bold</b>', usage };
  return {
    text: `## Plan\n\nYou asked: **${view.lastUserText.slice(0, 80)}**\n\n1. Read the sources\n2. Draft the summary with \`pandas\`\n3. Check the numbers\n\nSee [the docs](https://example.com/docs) for details.`,
    chunks: 6,
    chunkDelayMs: 40,
    usage,
  };
};

/** What the demo agent saves when asked to: a small report folder, for the workspace browser. */
export const DEMO_FILES: ReadonlyArray<readonly [string, string]> = [
  [
    '/workspace/report/outline.md',
    '# Q3 report: outline\n\n1. Revenue by region\n   - EMEA up 14 %, driven by the new reseller programme\n   - APAC flat\n2. Churn and expansion\n3. Pipeline for Q4\n\nSources: `sales.orders`, `sales.accounts` (snapshot of 30 Sept).\n',
  ],
  ['/workspace/report/data/q3-sales.csv', 'region,revenue_k,change_pct\nEMEA,1840,14.2\nNorth America,2610,6.1\nAPAC,970,0.4\nLATAM,410,9.8\n'],
  ['/workspace/notes.md', 'Open questions\n\n- Does the APAC figure include the Singapore reseller?\n- Restate Q2 churn with the new definition.\n'],
];

/** What the fake bash prints. */
export function demoToolOutput(name: string, input: Record<string, unknown>): string {
  if (name === 'bash') {
    const lines = ['Filesystem      Size  Used Avail Use% Mounted on', 'overlay          50G   12G   38G  24% /workspace'];
    for (let i = 0; i < 30; i += 1) lines.push(`log line ${i + 1}: ${String(input.command ?? '')}`);
    return lines.join('\n');
  }
  return `${name} ran`;
}

export const WEATHER_TOOL = {
  type: 'custom',
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

export const ASKING_TOOLSET = {
  type: 'agent_toolset_20260401',
  default_config: { enabled: true, permission_policy: { type: 'always_allow' } },
  configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }],
};

/** An agent with bash behind a confirmation and the custom weather tool, plus an environment. */
export async function makeAgentAndEnvironment(server: ConsoleServer, name = 'researcher'): Promise<{ agentId: string; environmentId: string }> {
  const agent = await server.api('POST', '/v1/agents', {
    name,
    model: 'claude-sonnet-4-6',
    system: 'You research questions and report with evidence.',
    tools: [ASKING_TOOLSET, WEATHER_TOOL],
  });
  const environment = await server.api('POST', '/v1/environments', { name: `${name}-env` });
  return { agentId: agent.id, environmentId: environment.id };
}

/** Waits until the session has gone idle `count` times and is idle now. */
export async function waitForIdles(server: ConsoleServer, sessionId: string, count: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { data } = await server.api('GET', `/v1/sessions/${sessionId}/events?limit=1000`);
    const statuses = (data as Array<{ type: string }>).filter((event) => event.type.startsWith('session.status_'));
    const idles = statuses.filter((event) => event.type === 'session.status_idle').length;
    if (idles >= count && statuses[statuses.length - 1]?.type === 'session.status_idle') return;
    if (Date.now() > deadline) throw new Error(`session ${sessionId} did not go idle ${count} times`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
