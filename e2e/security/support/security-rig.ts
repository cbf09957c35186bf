/**
 * The server every attack of a test file runs against: a real Longhand server in this process
 * (bubblewrap sandboxes, as root like CI), whose harness calls the puppet model over HTTP, driven
 * through the official SDK. Before it starts, secrets are planted in the process environment, so
 * a test can look for them everywhere a sandbox can see. `expectHealthy` is the check every attack
 * ends with.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, vi } from 'vitest';
import type { Runtime } from '@longhand/runtime';
import { startBrain, type BrainRig } from '../../support/brain.js';
import { bindsOf, descendantsOf, fingerprint, hostProcesses } from './host-view.js';
import { PuppetSession, puppetScript } from './puppet.js';

type Hands = NonNullable<Runtime['hands']>;
type Limits = NonNullable<NonNullable<Parameters<typeof startBrain>[1]>['hands']>['limits'];

/**
 * Limits of the suite's sandboxes: small, so that attacks on resources end quickly and cannot
 * starve the other tests sharing a 2-core CI machine.
 */
export const SUITE_LIMITS: Required<NonNullable<Limits>> = {
  memoryBytes: 256 * 1024 ** 2,
  pids: 128,
  cpus: 1,
  tmpBytes: 64 * 1024 ** 2,
};

/**
 * Host files a sandbox must never reach: their owner, mode and content are compared before and
 * after every attack (root-run code that follows a planted link, a chown through a symlink, would
 * change them).
 */
const HOST_SENTINELS = ['/etc/shadow', '/etc/passwd', '/etc/group', '/etc/sudoers', '/etc/hosts', '/root', '/usr/bin/su', '/usr/bin/passwd'];

/** How much the server process's peak memory may grow over the whole file. */
const PEAK_RSS_GROWTH = 1024 ** 3;
/** Processes a sandbox may have between calls: bwrap (two), the supervisor, its shell, spare. */
const PROCESSES_PER_SANDBOX = 6;

export interface SecurityRig {
  readonly brain: BrainRig;
  /** The server's base URL. */
  readonly url: string;
  /** The server's data directory (the SQLite file, file bytes, sandbox storage). */
  readonly dataDir: string;
  /** The hands of the runtime (sandbox manager, workspace storage). */
  readonly hands: Hands;
  /** Every secret the server holds: planted environment values and the API keys. */
  readonly secrets: readonly string[];
  /** Names of the environment variables planted in the server's process. */
  readonly secretNames: readonly string[];
  /** What the server logged (sandbox warnings, egress refusals, failed checkpoints). */
  readonly logs: readonly string[];
  /**
   * A new session of the puppet agent, in the rig's environment unless `environment_id` is
   * given; `params` are further session create params (`resources`).
   */
  session(params?: Record<string, unknown>): Promise<PuppetSession>;
  /**
   * The host directories behind a running session's /workspace, /home/agent, outputs and
   * uploads, as its bwrap command line on the host says (what the runtime really bound).
   */
  hostMount(sessionId: string): Promise<{ workspace: string; home: string; outputs: string; uploads: string }>;
  /** The host uid a session's sandbox runs as. */
  hostUid(sessionId: string): Promise<number>;
  /**
   * Asserts the server is healthy: `/health` answers, a session that took no part in any attack
   * still runs a command, the host's sensitive files are as they were, the process's peak memory
   * stayed bounded, and every sandbox's process count is back to normal (no survivor of an attack).
   */
  expectHealthy(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the rig. Always pair with `close()` in an `afterAll`. */
export async function startSecurityRig(options: { limits?: Limits } = {}): Promise<SecurityRig> {
  const planted: Record<string, string> = {
    LONGHAND_SECURITY_CANARY: `lhcanary-${randomBytes(12).toString('hex')}`,
    AWS_SECRET_ACCESS_KEY: `lhawssecret-${randomBytes(12).toString('hex')}`,
  };
  const previous = Object.fromEntries(Object.keys(planted).map((name) => [name, process.env[name]]));
  Object.assign(process.env, planted);
  const restoreEnv = (): void => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  const logs: string[] = [];
  let brain: BrainRig;
  try {
    brain = await startBrain(puppetScript, {
      agent: { tools: [{ type: 'agent_toolset_20260401', default_config: { enabled: true, permission_policy: { type: 'always_allow' } } }] },
      hands: { limits: options.limits ?? SUITE_LIMITS },
      log: (message) => logs.push(message),
    });
  } catch (error) {
    restoreEnv();
    throw error;
  }
  const hands = brain.server.runtime.hands;
  if (!hands || hands.kind !== 'bubblewrap') {
    await brain.close();
    restoreEnv();
    throw new Error('the security suite needs bubblewrap sandboxes (run as root with bwrap installed)');
  }
  const dataDir = brain.server.runtime.config.dataDir;
  const sessionIds: string[] = [];
  const newSession = async (params: Record<string, unknown> = {}): Promise<PuppetSession> => {
    const id = await brain.session(params);
    sessionIds.push(id);
    return new PuppetSession(brain.client, id);
  };
  let bystander: PuppetSession;
  try {
    bystander = await newSession();
  } catch (error) {
    await brain.close();
    restoreEnv();
    throw error;
  }
  const peakAtStart = process.resourceUsage().maxRSS * 1024;
  const sentinels = () => HOST_SENTINELS.map((path) => `${path} ${fingerprint(path)}`);
  const sentinelsAtStart = sentinels();
  let closed: Promise<void> | undefined;

  const rig: SecurityRig = {
    brain,
    url: brain.server.url,
    dataDir,
    hands,
    secrets: [...Object.values(planted), brain.server.adminKey, brain.server.a.key, brain.server.b.key],
    secretNames: Object.keys(planted),
    logs,
    session: newSession,
    async hostMount(sessionId) {
      const binds = bindsOf(await rig.hostUid(sessionId));
      const at = (path: string): string => {
        const host = binds.get(path);
        if (!host) throw new Error(`the sandbox of ${sessionId} is not running (no bind of ${path} found)`);
        return host;
      };
      return { workspace: at('/workspace'), home: at('/home/agent'), outputs: at('/mnt/session/outputs'), uploads: at('/mnt/session/uploads') };
    },
    hostUid: async (sessionId) => (await hands.manager.hostIdentity(sessionId)).uid,

    async expectHealthy() {
      const health = await fetch(`${brain.server.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      const nonce = randomBytes(6).toString('hex');
      expect(await bystander.bash(`echo "alive $((6 * 7)) ${nonce}"`)).toEqual({ text: `alive 42 ${nonce}`, isError: false });

      expect(sentinels()).toEqual(sentinelsAtStart);

      const peak = process.resourceUsage().maxRSS * 1024;
      expect(peak - peakAtStart, `the server's peak memory grew from ${peakAtStart} to ${peak} bytes`).toBeLessThan(PEAK_RSS_GROWTH);

      const uids = new Set(await Promise.all(sessionIds.map((id) => rig.hostUid(id))));
      await vi.waitFor(
        () => {
          const table = hostProcesses();
          const sandboxed = table.filter((p) => uids.has(p.uid));
          const perUid = new Map<number, number>();
          for (const p of sandboxed) perUid.set(p.uid, (perUid.get(p.uid) ?? 0) + 1);
          for (const [uid, count] of perUid) {
            expect(count, `sandbox uid ${uid} has ${count} processes: ${sandboxed.filter((p) => p.uid === uid).map((p) => p.cmdline).join(' | ')}`).toBeLessThanOrEqual(PROCESSES_PER_SANDBOX);
          }
          // Nothing a sandbox started may run as (effective) root, and the server's own children
          // are its sandboxes, nothing else.
          expect(sandboxed.filter((p) => p.euid === 0)).toEqual([]);
          const children = descendantsOf(process.pid, table).filter((p) => !uids.has(p.uid));
          expect(children.map((p) => p.cmdline).filter((cmd) => !/\bip netns exec\b/.test(cmd))).toEqual([]);
        },
        { timeout: 15_000, interval: 100 },
      );
    },

    close() {
      closed ??= (async () => {
        try {
          await brain.close();
        } finally {
          restoreEnv();
        }
      })();
      return closed;
    },
  };
  return rig;
}

/** The SQLite file of the rig's server. */
export function databasePath(rig: SecurityRig): string {
  return join(rig.dataDir, 'longhand.db');
}

/** The first line of a host file, or undefined if it cannot be read. */
export function firstLine(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').split('\n')[0];
  } catch {
    return undefined;
  }
}
