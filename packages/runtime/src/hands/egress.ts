import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createNetworkPolicy, startEgressProxy, type EgressProxy, type NetworkPolicy, type SandboxManager } from '@longhand/sandbox';
import type { Environment, SessionAgent } from '@longhand/protocol';

/** The network policy of a session: its environment's networking plus its agent's MCP hosts. */
export function policyFor(environment: Environment | undefined, agent: SessionAgent): NetworkPolicy {
  const networking = environment?.config.type === 'cloud' ? environment.config.networking : { type: 'unrestricted' as const };
  const mcpServerHosts = agent.mcp_servers.flatMap((server) => {
    try {
      const url = new URL(server.url);
      return [url.port ? `${url.hostname}:${url.port}` : url.hostname];
    } catch {
      return [];
    }
  });
  return createNetworkPolicy({ networking, mcpServerHosts });
}

/**
 * One egress proxy per running sandbox, on a Unix socket only that sandbox's uid may connect to.
 * A proxy with no connection for the idle time closes (idle costs nothing); the next call of
 * the session starts it again at the same path.
 */
export class EgressProxies {
  private readonly proxies = new Map<string, { proxy: Promise<EgressProxy>; timer?: NodeJS.Timeout }>();

  constructor(
    private readonly dir: (sessionId: string) => string,
    private readonly manager: SandboxManager,
    private readonly idleMs: number,
    private readonly log: (message: string) => void,
  ) {}

  /** The socket of the session's proxy, started if needed with `policy`. */
  async ensure(sessionId: string, policy: NetworkPolicy): Promise<string> {
    const socketPath = join(this.dir(sessionId), 'egress.sock');
    let entry = this.proxies.get(sessionId);
    if (!entry) {
      // The session's directory may not exist yet (its first call); sandbox uids pass through it
      // to the socket, nothing more.
      await mkdir(this.dir(sessionId), { recursive: true, mode: 0o711 });
      const owner = await this.manager.hostIdentity(sessionId);
      const proxy = startEgressProxy({
        socketPath,
        policy,
        socketOwner: owner,
        onDecision: (decision) => {
          if (decision.outcome !== 'allowed') this.log(`session ${sessionId}: egress ${decision.outcome}: ${decision.reason}`);
        },
      });
      entry = { proxy };
      this.proxies.set(sessionId, entry);
      proxy.catch(() => this.proxies.delete(sessionId));
    }
    await entry.proxy;
    this.arm(sessionId);
    return socketPath;
  }

  async close(sessionId: string): Promise<void> {
    const entry = this.proxies.get(sessionId);
    if (!entry) return;
    this.proxies.delete(sessionId);
    if (entry.timer) clearTimeout(entry.timer);
    await (await entry.proxy.catch(() => undefined))?.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.proxies.keys()].map((id) => this.close(id)));
  }

  private arm(sessionId: string): void {
    const entry = this.proxies.get(sessionId);
    if (!entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      void entry.proxy.then((proxy) => {
        if (proxy.activeConnections === 0) void this.close(sessionId);
        else this.arm(sessionId);
      });
    }, this.idleMs);
    entry.timer.unref();
  }
}
