import { parseArgs } from 'node:util';
import { CLIENT_OPTIONS, clientFrom } from '../client.js';
import { SessionRenderer } from '../render/session-renderer.js';
import { styleFor } from '../render/style.js';

const HELP = `longhand sessions: look at sessions

  longhand sessions list [--status <status>] [--limit <n>]
  longhand sessions show <id>
  longhand sessions tail <id> [--history]     follow a session live (Ctrl-C to stop)

  --url <url>   the server (LONGHAND_URL)     --key <key>   the API key (LONGHAND_KEY)
`;

function cents(amount: string | undefined): string {
  return amount === undefined ? '-' : `$${(Number(amount) / 100).toFixed(2)}`;
}

function ago(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86_400)}d ago`;
}

export async function sessions(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...CLIENT_OPTIONS, status: { type: 'string' }, limit: { type: 'string' }, history: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const [action, id] = positionals;
  if (values.help || !action) {
    process.stdout.write(HELP);
    return action ? 0 : 2;
  }
  const client = clientFrom(values);
  const style = styleFor(process.stdout);
  if (action === 'list') {
    const limit = Number(values.limit ?? 20);
    const page = await client.beta.sessions.list({ limit, ...(values.status ? { statuses: [values.status as 'idle'] } : {}) });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(page.data)}\n`);
      return 0;
    }
    for (const s of page.data) {
      const status = s.status === 'running' ? style.green(s.status) : s.status === 'terminated' ? style.red(s.status) : s.status;
      process.stdout.write(`${s.id}  ${status.padEnd(12)}  ${cents(s.usage.list_cost?.amount).padStart(8)}  ${ago(s.updated_at).padStart(8)}  ${s.agent.name}  ${s.title ?? ''}\n`);
    }
    return 0;
  }
  if (action === 'show' && id) {
    const s = await client.beta.sessions.retrieve(id);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      return 0;
    }
    const u = s.usage;
    process.stdout.write(
      [
        `${style.bold(s.title ?? s.id)}  ${s.status}`,
        `id           ${s.id}`,
        `agent        ${s.agent.name} (${s.agent.id} v${s.agent.version}, ${s.agent.model.id})`,
        `environment  ${s.environment_id}`,
        `created      ${s.created_at} (${ago(s.created_at)})`,
        `usage        ${u.input_tokens ?? 0} in, ${u.output_tokens ?? 0} out, ${u.cache_read_input_tokens ?? 0} cached; cost ${cents(u.list_cost?.amount)}`,
        `budget       ${s.budget ? cents(s.budget.max_list_cost.amount) : 'none'}`,
        '',
      ].join('\n'),
    );
    return 0;
  }
  if (action === 'tail' && id) {
    const renderer = new SessionRenderer(process.stdout, style, { showUserMessages: true });
    const stream = await client.beta.sessions.events.stream(id, { event_deltas: ['agent.message', 'agent.thinking'] });
    const seen = new Set<string>();
    if (values.history) {
      for await (const event of client.beta.sessions.events.list(id)) {
        seen.add((event as { id: string }).id);
        renderer.handle(event as never);
      }
    }
    process.once('SIGINT', () => stream.controller.abort());
    try {
      for await (const event of stream) {
        const e = event as unknown as { id?: string; type: string; processed_at?: string | null };
        // Skip what history already showed; a queued user message shows again once processed.
        if (e.id && seen.has(e.id) && !(e.type === 'user.message' && e.processed_at)) continue;
        renderer.handle(e as never);
      }
    } catch (error) {
      if (!stream.controller.signal.aborted) throw error;
    } finally {
      renderer.stopSpinner();
    }
    return 0;
  }
  process.stderr.write(HELP);
  return 2;
}
