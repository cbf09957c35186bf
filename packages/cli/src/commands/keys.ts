import { parseArgs } from 'node:util';
import { createRuntime } from '@longhand/runtime';
import { commonOptions } from '../config.js';
import { databaseUrlOf } from '../deployment-options.js';

const HELP = `longhand keys: manage API keys

  longhand keys create [--workspace <name|id>] [--name <label>]   make a key (shown once)
  longhand keys list [--workspace <name|id>]                      list keys (never the secrets)
  longhand keys revoke <key-id>                                    revoke a key

  --data-dir <dir>      where data lives (LONGHAND_DATA_DIR, default ./.longhand)
  --database-url <url>  the PostgreSQL database of the deployment (DATABASE_URL)
`;

/** Key management against the deployment's database (the data directory's, or PostgreSQL's). */
export async function keys(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workspace: { type: 'string' },
      name: { type: 'string' },
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [action, id] = positionals;
  if (values.help || !action) {
    process.stdout.write(HELP);
    return action ? 0 : 2;
  }
  const runtime = await createRuntime({ dataDir: commonOptions(values).dataDir, databaseUrl: databaseUrlOf(values['database-url']), role: 'api' });
  try {
    if (action === 'create') {
      const { key, record } = await runtime.auth.createKey({
        ...(values.workspace ? { workspace: values.workspace } : {}),
        ...(values.name ? { name: values.name } : {}),
      });
      if (values.json) process.stdout.write(`${JSON.stringify({ key, ...record })}\n`);
      else process.stdout.write(`${key}\n\nKey ${record.id} for workspace ${record.workspace_id}. Keep it safe: it is not shown again.\n`);
      return 0;
    }
    if (action === 'list') {
      const list = await runtime.auth.listKeys(values.workspace);
      if (values.json) process.stdout.write(`${JSON.stringify(list)}\n`);
      else for (const k of list) process.stdout.write(`${k.id}  ${k.prefix}…  ${k.workspace_id}  ${k.name}${k.revoked_at ? '  (revoked)' : ''}\n`);
      return 0;
    }
    if (action === 'revoke' && id) {
      const record = await runtime.auth.revokeKey(id);
      process.stdout.write(`revoked ${record.id}\n`);
      return 0;
    }
    process.stderr.write(HELP);
    return 2;
  } finally {
    await runtime.close();
  }
}
