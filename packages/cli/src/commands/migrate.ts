import { parseArgs } from 'node:util';
import { describeDatabase, migrateDatabase } from '@longhand/runtime';
import { commonOptions } from '../config.js';
import { databaseUrlOf } from '../deployment-options.js';

const HELP = `longhand migrate: bring the database's schema up to date and report its version

  --data-dir <dir>      the embedded SQLite database's directory (LONGHAND_DATA_DIR, default ./.longhand)
  --database-url <url>  a PostgreSQL database instead (DATABASE_URL)
  --json                print the report as JSON

Safe to run while Longhand processes use the database: migrations are serialised and each runs
in one transaction. \`longhand serve\` also migrates when it starts; run this before rolling out
a new release so that no process waits on a migration as it starts.
`;

/** Applies the schema migrations the database has not seen and prints the version it is at. */
export async function migrate(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const target = { dataDir: commonOptions(values).dataDir, databaseUrl: databaseUrlOf(values['database-url']) };
  const report = await migrateDatabase(target);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ database: describeDatabase(target), ...report })}\n`);
    return 0;
  }
  const lines = [describeDatabase(target)];
  for (const migration of report.applied) lines.push(`  applied ${migration.version}: ${migration.name}`);
  lines.push(
    report.applied.length === 0
      ? `schema version ${report.to} (up to date)`
      : `schema version ${report.to} (was ${report.from}; ${report.applied.length} migration(s) applied)`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
