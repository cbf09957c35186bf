import { parseArgs } from 'node:util';
import { createRuntime, describeDatabase, openObjectStore, parsePackageMirrors, splitMirrorList, type Runtime } from '@longhand/runtime';
import { createApp, listen } from '@longhand/server';
import { commonOptions, portOf } from '../config.js';
import { readConfigFile } from '../config-file.js';
import { choiceOf, countOf, databaseUrlOf } from '../deployment-options.js';

const HELP = `longhand serve: run the Longhand API server and the workers that run sessions

  --port <n>            port to listen on (LONGHAND_PORT, default 4680)
  --host <addr>         address to listen on (LONGHAND_HOST, default 127.0.0.1)
  --data-dir <dir>      where data lives (LONGHAND_DATA_DIR, default ./.longhand)
  --database-url <url>  PostgreSQL instead of the embedded SQLite database (DATABASE_URL);
                        any number of processes may then share it
  --object-store <url>  where workspace layers and file bytes live for every process to reach:
                        s3://bucket/prefix[?endpoint=…&region=…&path_style=true] or file:///dir
                        (LONGHAND_OBJECT_STORE; credentials from AWS_ACCESS_KEY_ID and
                        AWS_SECRET_ACCESS_KEY; default: all in the data directory)
  --role <role>         api (serve HTTP), worker (run sessions) or all (LONGHAND_ROLE, default all)
  --sandbox <kind>      where built-in tools run: bubblewrap, unsandboxed or none
                        (LONGHAND_SANDBOX, default bubblewrap; none offers agents no built-in tools)
  --lease-ms <n>        how long a worker's hold on a session lasts unrenewed: a dead worker's
                        sessions move on after it (LONGHAND_LEASE_MS, default 10000)
  --poll-ms <n>         how often a worker looks for sessions nobody runs (LONGHAND_POLL_MS, default 500)
  --concurrency <n>     sessions a worker runs at once (LONGHAND_CONCURRENCY, default 64)
  --drain-ms <n>        on SIGTERM, how long running sessions may take to finish before they
                        are handed back (LONGHAND_DRAIN_MS, default 25000)
  --config <file>       models, prices and harness settings (LONGHAND_CONFIG; see docs/configuration.md)
  --package-mirror <manager>=<url>
                        an internal mirror environments' packages are installed from, such as
                        npm=http://10.0.0.5:4873/ or apt="deb http://10.0.0.5/debian bookworm main";
                        repeat for each manager (LONGHAND_PACKAGE_MIRRORS, entries separated by ";")
`;

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${message}\n`);
}

/**
 * Starts the server and runs until SIGINT or SIGTERM, then drains: it stops accepting requests
 * and sessions, lets running sessions finish (up to the drain time), hands the rest back and
 * exits. A second signal exits at once.
 */
export async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
      'object-store': { type: 'string' },
      role: { type: 'string' },
      sandbox: { type: 'string' },
      'lease-ms': { type: 'string' },
      'poll-ms': { type: 'string' },
      concurrency: { type: 'string' },
      'drain-ms': { type: 'string' },
      config: { type: 'string' },
      'package-mirror': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const common = commonOptions(values);
  const databaseUrl = databaseUrlOf(values['database-url']);
  const objectStore = (values['object-store'] ?? process.env.LONGHAND_OBJECT_STORE) || undefined;
  const role = choiceOf('--role', values.role ?? process.env.LONGHAND_ROLE, ['api', 'worker', 'all'] as const, 'all');
  const sandbox = choiceOf('--sandbox', values.sandbox ?? process.env.LONGHAND_SANDBOX, ['bubblewrap', 'unsandboxed', 'none'] as const, 'bubblewrap');
  const scheduler = {
    leaseMs: countOf('--lease-ms', values['lease-ms'] ?? process.env.LONGHAND_LEASE_MS, 10_000, 300),
    pollMs: countOf('--poll-ms', values['poll-ms'] ?? process.env.LONGHAND_POLL_MS, 500, 10),
    concurrency: countOf('--concurrency', values.concurrency ?? process.env.LONGHAND_CONCURRENCY, 64),
  };
  const drainMs = countOf('--drain-ms', values['drain-ms'] ?? process.env.LONGHAND_DRAIN_MS, 25_000, 0);
  const port = portOf(values.port ?? process.env.LONGHAND_PORT, 4680);
  const host = values.host ?? process.env.LONGHAND_HOST ?? '127.0.0.1';
  const mirrorEntries = values['package-mirror'] ?? splitMirrorList(process.env.LONGHAND_PACKAGE_MIRRORS);
  const packages = { mirrors: parsePackageMirrors(mirrorEntries) };

  const configPath = values.config ?? process.env.LONGHAND_CONFIG;
  const file = configPath ? readConfigFile(configPath) : {};
  const runtime: Runtime = await createRuntime({
    dataDir: common.dataDir,
    databaseUrl,
    objectStore,
    adminKey: common.adminKey,
    role,
    log,
    hands: { sandbox, packages },
    scheduler,
    ...(file.models ? { models: file.models } : {}),
    ...(file.prices ? { prices: file.prices } : {}),
    ...(file.harness ? { harness: file.harness } : {}),
  });
  let firstKey: string | undefined;
  // Only a process that serves the API hands out the first key; workers never print secrets.
  if (role !== 'worker' && !common.adminKey && (await runtime.auth.hasNoKeys())) {
    firstKey = (await runtime.auth.createKey({ name: 'first key' })).key;
  }
  const server = role === 'worker' ? undefined : await listen(createApp(runtime, { log }), { port, host });

  const database = describeDatabase({ dataDir: common.dataDir, databaseUrl });
  const lines = [`Longhand is running (role: ${role}, pid: ${process.pid}, data: ${common.dataDir}, database: ${database})`];
  if (objectStore) lines.push(`  Objects: ${objectStoreDescription(objectStore)}`);
  if (runtime.scheduler) lines.push(`  Worker:  ${runtime.scheduler.holder} (lease ${scheduler.leaseMs} ms, up to ${scheduler.concurrency} sessions, sandbox: ${sandbox})`);
  if (server) lines.push(`  API:     ${server.url}`);
  if (firstKey) {
    lines.push(`  API key: ${firstKey}`, '           (created for this new installation; it is shown only once)');
  } else if (server) {
    lines.push('  API key: use an existing key, or make one with `npx longhand keys create`');
  }
  if (server) lines.push(`  Try:     curl -H "x-api-key: <key>" ${server.url}/v1/agents`);
  process.stdout.write(`${lines.join('\n')}\n`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        log(`${signal} again: exiting without waiting for running sessions (their leases expire)`);
        process.exit(1);
      }
      stopping = true;
      log(`${signal}: shutting down: no new requests or sessions; running sessions get ${drainMs} ms to finish`);
      resolve();
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  await server?.close();
  await runtime.close({ drain: true, timeoutMs: drainMs });
  log('stopped');
  return 0;
}

/** A printable name of the object store (never its credentials). */
function objectStoreDescription(url: string): string {
  try {
    return openObjectStore(url).description;
  } catch {
    return url;
  }
}
