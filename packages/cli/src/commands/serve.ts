import { parseArgs } from 'node:util';
import { createRuntime, type Runtime } from '@longhand/runtime';
import { createApp, listen } from '@longhand/server';
import { commonOptions, portOf } from '../config.js';
import { readConfigFile } from '../config-file.js';

const HELP = `longhand serve: run the Longhand API server

  --port <n>         port to listen on (LONGHAND_PORT, default 4680)
  --host <addr>      address to listen on (LONGHAND_HOST, default 127.0.0.1)
  --data-dir <dir>   where data lives (LONGHAND_DATA_DIR, default ./.longhand)
  --role <role>      api, worker or all (default all)
  --config <file>    models, prices and harness settings (LONGHAND_CONFIG; see docs/configuration.md)
`;

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${message}\n`);
}

/** Starts the server and runs until SIGINT or SIGTERM, then drains and exits. */
export async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      role: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const common = commonOptions(values);
  const role = (values.role ?? process.env.LONGHAND_ROLE ?? 'all') as 'api' | 'worker' | 'all';
  if (!['api', 'worker', 'all'].includes(role)) throw new Error(`--role must be api, worker or all, not ${role}`);
  const port = portOf(values.port ?? process.env.LONGHAND_PORT, 4680);
  const host = values.host ?? process.env.LONGHAND_HOST ?? '127.0.0.1';

  const configPath = values.config ?? process.env.LONGHAND_CONFIG;
  const file = configPath ? readConfigFile(configPath) : {};
  const runtime: Runtime = await createRuntime({
    dataDir: common.dataDir,
    adminKey: common.adminKey,
    role,
    log,
    ...(file.models ? { models: file.models } : {}),
    ...(file.prices ? { prices: file.prices } : {}),
    ...(file.harness ? { harness: file.harness } : {}),
  });
  let firstKey: string | undefined;
  if (!common.adminKey && (await runtime.auth.hasNoKeys())) {
    firstKey = (await runtime.auth.createKey({ name: 'first key' })).key;
  }
  const server = role === 'worker' ? undefined : await listen(createApp(runtime, { log }), { port, host });

  const lines = [`Longhand is running (role: ${role}, data: ${common.dataDir})`];
  if (server) lines.push(`  API:     ${server.url}`);
  if (firstKey) {
    lines.push(`  API key: ${firstKey}`, '           (created for this new installation; it is shown only once)');
  } else if (server) {
    lines.push('  API key: use an existing key, or make one with `npx longhand keys create`');
  }
  if (server) lines.push(`  Try:     curl -H "x-api-key: <key>" ${server.url}/v1/agents`);
  process.stdout.write(`${lines.join('\n')}\n`);

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: shutting down`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await server?.close();
  await runtime.close({ drain: true, timeoutMs: 30_000 });
  return 0;
}
