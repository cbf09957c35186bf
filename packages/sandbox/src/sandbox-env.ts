/**
 * The environment a sandbox starts with. It is built from scratch: fixed defaults, the few host
 * variables an operator explicitly allowed, and the spec's own variables. Nothing else of the
 * server's environment (API keys, database URLs, cloud credentials) can reach a sandbox.
 */

/** Where the sandbox's identity lives, for HOME and friends. */
export interface SandboxIdentity {
  /** HOME inside the sandbox. */
  home: string;
  /** USER and LOGNAME inside the sandbox. */
  user: string;
}

/** Variables the runtime owns; a spec cannot override them. */
const RESERVED = new Set(['HOME', 'USER', 'LOGNAME', 'PWD', 'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'NO_PROXY', 'no_proxy']);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Builds a sandbox environment.
 *
 * @param spec variables from the sandbox spec; invalid or reserved names are rejected
 * @param identity the home directory and user name inside the sandbox
 * @param inherit names of host variables to copy when set (an operator's explicit allowlist,
 *   for example `['TZ']`); empty by default
 * @param host the server's environment (only `inherit` names are read from it)
 * @throws Error on an invalid or reserved variable name, or a value containing NUL
 * @example buildSandboxEnv({ NODE_ENV: 'test' }, { home: '/home/agent', user: 'agent' })
 */
export function buildSandboxEnv(
  spec: Readonly<Record<string, string>> | undefined,
  identity: SandboxIdentity,
  inherit: readonly string[] = [],
  host: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: identity.home,
    USER: identity.user,
    LOGNAME: identity.user,
    SHELL: '/bin/bash',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    TMPDIR: '/tmp',
    // Tools that page or prompt would hang a non-interactive shell.
    PAGER: 'cat',
    GIT_PAGER: 'cat',
    GIT_TERMINAL_PROMPT: '0',
    DEBIAN_FRONTEND: 'noninteractive',
  };
  for (const name of inherit) {
    if (!NAME.test(name) || RESERVED.has(name)) throw new Error(`cannot inherit ${JSON.stringify(name)} into a sandbox`);
    const value = host[name];
    if (value !== undefined && !value.includes('\0')) env[name] = value;
  }
  for (const [name, value] of Object.entries(spec ?? {})) {
    if (!NAME.test(name)) throw new Error(`invalid environment variable name ${JSON.stringify(name)}`);
    if (RESERVED.has(name)) throw new Error(`${name} is set by the sandbox and cannot be overridden`);
    if (typeof value !== 'string' || value.includes('\0')) throw new Error(`invalid value for ${name}`);
    env[name] = value;
  }
  return env;
}

/**
 * Splits a sandbox's environment for the supervisor's own perl. Variables perl reads when it
 * starts (PERL5OPT, PERL5LIB, PERLIO, PERL_UNICODE, PERL_SIGNALS…) would change the supervisor
 * itself (load code from the workspace, turn its byte protocol into UTF-8), so they are not in its
 * environment: they travel in its config (`env`), and it sets them for the shell and exec only.
 */
export function splitForSupervisor(env: Readonly<Record<string, string>>): { process: Record<string, string>; deferred: Record<string, string> } {
  const process: Record<string, string> = {};
  const deferred: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) (name.startsWith('PERL') ? deferred : process)[name] = value;
  return { process, deferred };
}
