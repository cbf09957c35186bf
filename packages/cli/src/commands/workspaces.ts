import { parseArgs } from 'node:util';
import { createRuntime } from '@longhand/runtime';
import { commonOptions } from '../config.js';
import { databaseUrlOf } from '../deployment-options.js';

const HELP = `longhand workspaces: tenants that own resources and keys

  longhand workspaces create <name>
  longhand workspaces list

  --data-dir <dir>      where data lives (LONGHAND_DATA_DIR, default ./.longhand)
  --database-url <url>  the PostgreSQL database of the deployment (DATABASE_URL)
`;

/** Workspace management against the deployment's database (the data directory's, or PostgreSQL's). */
export async function workspaces(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' }, 'database-url': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const [action, name] = positionals;
  if (values.help || !action) {
    process.stdout.write(HELP);
    return action ? 0 : 2;
  }
  const runtime = await createRuntime({ dataDir: commonOptions(values).dataDir, databaseUrl: databaseUrlOf(values['database-url']), role: 'api' });
  try {
    if (action === 'create' && name) {
      const workspace = await runtime.auth.createWorkspace(name);
      process.stdout.write(values.json ? `${JSON.stringify(workspace)}\n` : `${workspace.id}  ${workspace.name}\n`);
      return 0;
    }
    if (action === 'list') {
      const list = await runtime.auth.listWorkspaces();
      if (values.json) process.stdout.write(`${JSON.stringify(list)}\n`);
      else for (const w of list) process.stdout.write(`${w.id}  ${w.name}\n`);
      return 0;
    }
    process.stderr.write(HELP);
    return 2;
  } finally {
    await runtime.close();
  }
}
