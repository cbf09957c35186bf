'use strict';
// The in-sandbox supervisor: one long-lived process per sandbox, started by the host (inside
// bubblewrap, or directly for the unsandboxed provider), speaking newline-delimited JSON over its
// stdin (requests) and stdout (responses). Plain JavaScript with JSDoc types, because it runs
// inside the sandbox under the host's `node` with no loader and no dependencies.
//
// Usage: node supervisor.cjs '<config json>'
//
// CommonJS on purpose: every sandbox resume waits for this process to start, and node loads
// CommonJS files about 10 ms faster than ES modules. Only what the first command needs is
// loaded up front; bash is started before anything else.
//
// Requests  {"id": 7, "op": "shell", ...}         ids are chosen by the host; many may be in flight
// Responses {"id": 7, "ok": true, "result": ...}  or {"id": 7, "ok": false, "error": {code, message}}
// Events    {"event": "ready", "pid": 2, "proxyPort": 3128}   once, when requests will be served
//
// Ops (binary data travels as base64):
//   shell {command, timeoutMs, maxOutputBytes}   -> {output, exitCode, timedOut, interrupted, truncated, cwd}
//   restartShell {}                              -> {}
//   exec {argv, stdin?, cwd?, timeoutMs, maxOutputBytes} -> {stdout, stderr, exitCode, timedOut, interrupted, truncated}
//   readFile {path, maxBytes}                    -> {data}
//   writeFile {path, data}                       -> {}
//   stat {path}                                  -> {info: FileInfo | null}
//   cancel {target}                              -> {}   aborts request `target` (interrupt)
//   ping {}                                      -> {}

// Start bash first: its start-up overlaps with everything below.
const { ShellSession } = require('./shell-session.cjs');

/**
 * @typedef {{
 *   workdir: string,
 *   roots: import('./confined-fs.cjs').FileRoot[],
 *   shell: string,
 *   ownPidNamespace: boolean,
 *   proxy?: { socketPath: string, host: string, port: number },
 * }} SupervisorConfig
 */

/** @type {SupervisorConfig} */
const config = JSON.parse(process.argv[2] ?? '{}');

/** @param {string} url */
function setProxyEnv(url) {
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) process.env[name] = url;
  for (const name of ['NO_PROXY', 'no_proxy']) process.env[name] = 'localhost,127.0.0.1,::1';
}

/** Sessions of running `exec` processes: the shell's cleanup leaves them alone. */
const execSessions = new Set();
// A fixed relay port is known before it listens, so the shell can start with it right away.
if (config.proxy && config.proxy.port !== 0) setProxyEnv(`http://${config.proxy.host}:${config.proxy.port}`);
const shell = new ShellSession({
  workdir: config.workdir,
  env: process.env,
  shell: config.shell,
  ownPidNamespace: config.ownPidNamespace,
  protectedSessions: () => execSessions,
});

/** @param {object} message */
function send(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

// A bug in one request must not take the sandbox down with it; the host sees the error text.
process.on('uncaughtException', (err) => process.stderr.write(`supervisor: ${err?.stack ?? err}\n`));
process.on('unhandledRejection', (err) => process.stderr.write(`supervisor: ${/** @type {Error} */ (err)?.stack ?? err}\n`));

/** A failure with one of the protocol's error codes. */
class RequestError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// Loaded on first use: most sandboxes start for a shell command.
/** @type {import('./confined-fs.cjs').ConfinedFs | undefined} */
let confined;
const files = () => {
  const { ConfinedFs } = require('./confined-fs.cjs');
  confined ??= new ConfinedFs(config.roots, config.workdir);
  return confined;
};

/** @type {Map<number, AbortController>} */
const inflight = new Map();

/**
 * @param {any} req
 * @param {AbortSignal} signal
 */
async function handle(req, signal) {
  switch (req.op) {
    case 'ping':
      return {};
    case 'shell':
      return shell.run(String(req.command), { timeoutMs: req.timeoutMs, maxOutputBytes: req.maxOutputBytes, signal });
    case 'restartShell':
      await shell.restart();
      shell.ensureStarted();
      return {};
    case 'exec': {
      const argv = Array.isArray(req.argv) ? req.argv.map(String) : [];
      if (argv.length === 0) throw new RequestError('invalid_request', 'exec needs a non-empty argv');
      const cwd = files().resolve(req.cwd ?? config.workdir).path;
      const { runProcess } = require('./run-process.cjs');
      const result = await runProcess(argv, {
        cwd,
        env: process.env,
        stdin: req.stdin === undefined ? undefined : Buffer.from(req.stdin, 'base64'),
        timeoutMs: req.timeoutMs,
        maxOutputBytes: req.maxOutputBytes,
        signal,
        sessions: execSessions,
      });
      return { ...result, stdout: result.stdout.toString('base64'), stderr: result.stderr.toString('base64') };
    }
    case 'readFile':
      return { data: (await files().readFile(String(req.path), req.maxBytes)).toString('base64') };
    case 'writeFile':
      await files().writeFile(String(req.path), Buffer.from(String(req.data ?? ''), 'base64'));
      return {};
    case 'stat':
      return { info: files().stat(String(req.path)) };
    case 'cancel':
      inflight.get(req.target)?.abort();
      return {};
    default:
      throw new RequestError('invalid_request', `unknown op ${JSON.stringify(req.op)}`);
  }
}

/** Our errors carry a lowercase code (`not_found`); system errors an uppercase one (`ENOENT`). @param {any} err */
const codeOf = (err) => (typeof err?.code === 'string' && /^[a-z_]+$/.test(err.code) ? err.code : 'io_error');

/** @param {string} line */
function onLine(line) {
  if (line.trim() === '') return;
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    process.stderr.write('supervisor: ignoring a request that is not JSON\n');
    return;
  }
  const controller = new AbortController();
  inflight.set(req.id, controller);
  handle(req, controller.signal)
    .then(
      (result) => send({ id: req.id, ok: true, result }),
      (err) => send({ id: req.id, ok: false, error: { code: codeOf(err), message: String(err?.message ?? err) } }),
    )
    .finally(() => inflight.delete(req.id));
}

// Split stdin on newlines without rescanning what came before: a written file can be one line of
// many megabytes arriving in 64 KiB pieces.
/** @type {string[]} */
let partial = [];
process.stdin.setEncoding('utf8');
process.stdin.on('data', (/** @type {string} */ chunk) => {
  let start = 0;
  for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
    partial.push(chunk.slice(start, nl));
    const line = partial.join('');
    partial = [];
    start = nl + 1;
    onLine(line);
  }
  if (start < chunk.length) partial.push(chunk.slice(start));
});
// The host went away: take everything down with us.
process.stdin.on('end', () => {
  shell.killAll();
  const { killSession } = require('./process-tree.cjs');
  for (const sid of execSessions) killSession(sid);
  process.exit(0);
});

async function main() {
  let proxyPort;
  if (config.proxy) {
    const { startProxyRelay } = require('./proxy-relay.cjs');
    proxyPort = await startProxyRelay(config.proxy);
    if (config.proxy.port === 0) {
      // The unsandboxed provider cannot count on a free 3128: the shell learns the real port.
      setProxyEnv(`http://${config.proxy.host}:${proxyPort}`);
    }
  }
  send({ event: 'ready', pid: process.pid, proxyPort });
  // After `ready`: the host settles the sandbox's cgroup while bash starts, and the first command
  // finds the shell running (or starts it, and says why if it cannot).
  shell.startEarly();
}

main().catch((err) => {
  process.stderr.write(`supervisor: cannot start: ${err?.stack ?? err}\n`);
  process.exit(1);
});
