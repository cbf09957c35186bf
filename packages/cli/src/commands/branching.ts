import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { CLIENT_OPTIONS, request } from '../client.js';

const HELP = `checkpoints, forks, restores and moving sessions between machines

  longhand checkpoints <session>                     list a session's checkpoints
  longhand checkpoints create <session>              checkpoint a session now
  longhand fork <session> [--checkpoint <id>] [--title <t>]   a new session from a checkpoint (latest by default)
  longhand restore <session> <checkpoint>            roll a session back to a checkpoint
  longhand export <session> [-o <file>]              the session as one archive (stdout by default)
  longhand import <file> [--environment <id>]        a new session from an archive

  --url <url>   the server (LONGHAND_URL)     --key <key>   the API key (LONGHAND_KEY)
`;

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

type Flags = Record<string, string | boolean | undefined>;

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...CLIENT_OPTIONS, checkpoint: { type: 'string' }, title: { type: 'string' }, environment: { type: 'string' }, output: { type: 'string', short: 'o' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
}

/** `longhand checkpoints`. */
export async function checkpoints(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [first, second] = positionals;
  if (values.help || !first) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  if (first === 'create' && second) {
    const checkpoint = await json<{ id: string; seq: number }>(await request(values, 'POST', `/v1/sessions/${second}/checkpoints`, { json: {} }));
    process.stdout.write(values.json ? `${JSON.stringify(checkpoint)}\n` : `${checkpoint.id} at seq ${checkpoint.seq}\n`);
    return 0;
  }
  const page = await json<{ data: Array<{ id: string; seq: number; trigger: string; size_bytes: number; added_bytes: number; created_at: string }> }>(
    await request(values, 'GET', `/v1/sessions/${first}/checkpoints`, { query: { limit: '100' } }),
  );
  if (values.json) process.stdout.write(`${JSON.stringify(page.data)}\n`);
  else for (const c of page.data) process.stdout.write(`${c.id}  seq ${String(c.seq).padStart(6)}  ${c.trigger.padEnd(8)}  ${size(c.size_bytes).padStart(10)} (+${size(c.added_bytes)})  ${c.created_at}\n`);
  return 0;
}

/** `longhand fork`. */
export async function fork(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [session] = positionals;
  if (values.help || !session) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  const body: Flags = {};
  if (values.checkpoint) body.checkpoint_id = values.checkpoint;
  if (values.title) body.title = values.title;
  const forked = await json<{ id: string; forked_from?: { checkpoint_id: string; seq: number } }>(await request(values, 'POST', `/v1/sessions/${session}/fork`, { json: body }));
  process.stdout.write(values.json ? `${JSON.stringify(forked)}\n` : `${forked.id}  (forked from ${session} at ${forked.forked_from?.checkpoint_id}, seq ${forked.forked_from?.seq})\n`);
  return 0;
}

/** `longhand restore`. */
export async function restore(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [session, checkpoint] = positionals;
  if (values.help || !session || !checkpoint) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  await request(values, 'POST', `/v1/sessions/${session}/restore`, { json: { checkpoint_id: checkpoint } });
  process.stdout.write(`restored ${session} to ${checkpoint}\n`);
  return 0;
}

/** `longhand export`. */
export async function exportSession(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [session] = positionals;
  if (values.help || !session) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  const response = await request(values, 'GET', `/v1/sessions/${session}/export`);
  const out = values.output ? createWriteStream(values.output) : process.stdout;
  await pipeline(Readable.fromWeb(response.body as never), out);
  if (values.output) process.stderr.write(`wrote ${values.output}\n`);
  return 0;
}

/** `longhand import`. */
export async function importSession(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [file] = positionals;
  if (values.help || !file) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  let environment = values.environment;
  if (!environment) {
    const page = await json<{ data: Array<{ id: string; name: string }> }>(await request(values, 'GET', '/v1/environments', { query: { limit: '1000' } }));
    environment = page.data.find((e) => e.name === 'default')?.id ?? (await json<{ id: string }>(await request(values, 'POST', '/v1/environments', { json: { name: 'default' } }))).id;
  }
  const body = Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>;
  const session = await json<{ id: string }>(await request(values, 'POST', '/v1/sessions/import', { body, query: { environment_id: environment } }));
  process.stdout.write(values.json ? `${JSON.stringify(session)}\n` : `${session.id}\n`);
  return 0;
}
