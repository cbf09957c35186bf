/**
 * The network policy of an environment: which destinations a sandbox (and the server-side
 * `web_fetch` tool) may reach. Two layers, applied in this order:
 *
 * 1. Under every policy, nothing but public addresses: IP literals in any notation, reserved names
 *    and, after resolution, every resolved address are classified (`address-class.ts`).
 * 2. `limited` networking then allows only the hosts of `allowed_hosts`, the package registries
 *    (`allow_package_managers`) and the agent's MCP servers (`allow_mcp_servers`).
 *
 * Ports: 80 and 443 unless configured otherwise; an entry written `host:port` opens that port too.
 */
import { domainToASCII } from 'node:url';
import { classifyAddress, describeAddressClass, explainAddressClass } from './address-class.js';
import { EgressError } from './errors.js';
import { formatIp, parseHost, type IpAddress } from './ip-literal.js';
import { packageRegistryHosts } from './package-registries.js';
import { reservedNameReason } from './reserved-names.js';

/** The environment's `config.networking`, exactly as on the wire (spec §3.2). */
export type NetworkingConfig =
  | { readonly type: 'unrestricted' }
  | {
      readonly type: 'limited';
      /** Hosts (`api.example.com`, `*.example.com`, optionally `:port`) the sandbox may reach. */
      readonly allowed_hosts?: readonly string[] | null;
      /** Also allow the hosts of the agent's MCP servers. */
      readonly allow_mcp_servers?: boolean | null;
      /** Also allow the package registries of `PACKAGE_REGISTRY_HOSTS`. */
      readonly allow_package_managers?: boolean | null;
    };

/** Everything a policy is built from. */
export interface NetworkPolicyOptions {
  /** The environment's networking config. */
  readonly networking: NetworkingConfig;
  /** Hosts of the MCP servers the agent declared (`mcp.example.com` or `mcp.example.com:8443`). */
  readonly mcpServerHosts?: readonly string[];
  /** Ports any allowed host may be reached on; `'any'` for all. Defaults to `[80, 443]`. */
  readonly ports?: readonly number[] | 'any';
  /**
   * Origins the operator configured for the server's own use (package mirrors on an internal
   * network): reachable by their exact host and port even at a loopback or private address, which
   * every other destination may never be. Only for sandboxes the server runs for itself (an
   * environment's package build), never from anything an API user controls.
   */
  readonly operatorOrigins?: readonly OperatorOrigin[];
}

/** One operator-configured origin: a host (name or IP literal) and a port, both exact. */
export interface OperatorOrigin {
  readonly host: string;
  readonly port: number;
}

/** A yes or no with the sentence that explains it (for logs and for the agent). */
export interface EgressDecision {
  /** Whether the connection may proceed. */
  readonly allowed: boolean;
  /** Why, in one sentence that names the host and the rule. */
  readonly reason: string;
}

/** What the host part of a target turned out to be, once it passed the name-level checks. */
export type EgressHost =
  | { readonly kind: 'ip'; readonly address: IpAddress; readonly host: string }
  | { readonly kind: 'name'; readonly name: string; readonly host: string };

/** The decision on a `host:port` before any DNS lookup; when allowed, what to connect to next. */
export type HostDecision = (EgressDecision & { readonly allowed: false }) | { readonly allowed: true; readonly reason: string; readonly target: EgressHost };

/** A compiled policy. Pure: the same question always gets the same answer. */
export interface NetworkPolicy {
  /** `unrestricted` or `limited`, as configured. */
  readonly type: NetworkingConfig['type'];
  /**
   * Decides on a target before resolution: the host's syntax, IP literals in every notation,
   * reserved names, the port and (under `limited`) the allowlist.
   * @example policy.checkHost('0x7f.1', 80) // { allowed: false, reason: '0x7f.1 means 127.0.0.1, …loopback…' }
   */
  checkHost(host: string, port: number): HostDecision;
  /**
   * Decides on one address a name resolved to; every resolved address must pass. `port` lets an
   * operator origin's name resolve to a private address.
   */
  checkAddress(name: string, address: IpAddress, port?: number): EgressDecision;
}

interface HostRule {
  readonly entry: string;
  readonly source: string;
  readonly host: string;
  readonly wildcard: boolean;
  readonly port?: number;
}

const DEFAULT_PORTS: readonly number[] = [80, 443];

/**
 * Compiles a policy from an environment's networking config.
 * @throws EgressError `invalid_policy` when an entry of `allowed_hosts` or `mcpServerHosts` is not a host.
 * @example createNetworkPolicy({ networking: { type: 'limited', allowed_hosts: ['*.github.com'] } })
 */
export function createNetworkPolicy(options: NetworkPolicyOptions): NetworkPolicy {
  const { networking } = options;
  const ports = options.ports ?? DEFAULT_PORTS;
  const rules: HostRule[] = [];
  if (networking.type === 'limited') {
    for (const entry of networking.allowed_hosts ?? []) rules.push(parseRule(entry, 'allowed_hosts'));
    if (networking.allow_package_managers) {
      for (const entry of packageRegistryHosts()) rules.push(parseRule(entry, 'allow_package_managers'));
    }
    if (networking.allow_mcp_servers) {
      for (const entry of options.mcpServerHosts ?? []) rules.push(parseRule(entry, 'allow_mcp_servers'));
    }
  }
  const portAllowed = (port: number): boolean => ports === 'any' || ports.includes(port);
  const portList = ports === 'any' ? 'any' : ports.join(', ');
  const operator = new Set((options.operatorOrigins ?? []).map(operatorKey));

  return {
    type: networking.type,
    checkHost(rawHost, port) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) return deny(`port ${port} is not a valid port`);
      const own = operatorTarget(rawHost, port, operator);
      if (own) return { allowed: true, reason: `${own.host}:${port} is an origin the operator configured (a package mirror)`, target: own };
      const target = checkHostName(rawHost);
      if (!target.allowed) return target;
      const { host } = target.target;
      if (networking.type === 'unrestricted') {
        if (!portAllowed(port)) return deny(`port ${port} of ${host} is not allowed (allowed ports: ${portList})`);
        return { allowed: true, reason: `${host}:${port} is allowed (unrestricted networking)`, target: target.target };
      }
      const matching = rules.filter((rule) => (rule.wildcard ? host.endsWith(`.${rule.host}`) : host === rule.host));
      if (matching.length === 0) {
        return deny(`${host} is not in this environment's allowed hosts (networking is limited)`);
      }
      const rule = matching.find((candidate) => (candidate.port === undefined ? portAllowed(port) : candidate.port === port));
      if (!rule) return deny(`port ${port} of ${host} is not allowed (allowed ports: ${portList})`);
      return { allowed: true, reason: `${host}:${port} is allowed by ${rule.entry} (${rule.source})`, target: target.target };
    },
    checkAddress(name, address, port) {
      if (address.zone !== undefined) return deny(`${name} resolves to a scoped address (zone ${address.zone})`);
      if (port !== undefined && operator.has(`${name}|${port}`)) return { allowed: true, reason: `${name}:${port} is an origin the operator configured` };
      const cls = classifyAddress(address);
      if (cls.category === 'public') return { allowed: true, reason: `${name} resolves to ${formatIp(address)}, which is public` };
      return deny(`${name} resolves to ${formatIp(address)}, which is ${explainAddressClass(cls)}; such addresses are never reachable from a sandbox`);
    },
  };
}

/** `host|port` of an operator origin, the host canonical as `checkHost` sees it. */
function operatorKey(origin: OperatorOrigin): string {
  const parsed = parseHost(/[^\x00-\x7f]/.test(origin.host) ? domainToASCII(origin.host) : origin.host);
  if (parsed.kind === 'invalid') throw new EgressError('invalid_policy', `operator origin ${JSON.stringify(origin.host)} ${parsed.reason}`);
  if (!Number.isInteger(origin.port) || origin.port < 1 || origin.port > 65535) throw new EgressError('invalid_policy', `operator origin ${origin.host} has an invalid port`);
  return `${parsed.kind === 'ip' ? formatIp(parsed.address) : parsed.name}|${origin.port}`;
}

/** The target when `host:port` is exactly an operator origin (before any other rule applies). */
function operatorTarget(rawHost: string, port: number, operator: ReadonlySet<string>): EgressHost | undefined {
  if (operator.size === 0) return undefined;
  const parsed = parseHost(/[^\x00-\x7f]/.test(rawHost) ? domainToASCII(rawHost) : rawHost);
  if (parsed.kind === 'invalid' || (parsed.kind === 'ip' && parsed.address.zone !== undefined)) return undefined;
  const host = parsed.kind === 'ip' ? formatIp(parsed.address) : parsed.name;
  if (!operator.has(`${host}|${port}`)) return undefined;
  return parsed.kind === 'ip' ? { kind: 'ip', address: parsed.address, host } : { kind: 'name', name: parsed.name, host };
}

/** The name-level half of `checkHost`, shared by every policy type. */
function checkHostName(rawHost: string): HostDecision {
  const ascii = /[^\x00-\x7f]/.test(rawHost) ? domainToASCII(rawHost) : rawHost;
  const parsed = parseHost(ascii);
  if (parsed.kind === 'invalid') return deny(parsed.reason);
  if (parsed.kind === 'ip') {
    const { address } = parsed;
    if (address.zone !== undefined) {
      return deny(`${rawHost} names a scoped address (zone ${address.zone}); scoped addresses are never reachable from a sandbox`);
    }
    const canonical = formatIp(address);
    const cls = classifyAddress(address);
    if (cls.category !== 'public') {
      const spelled = stripBrackets(rawHost).toLowerCase() === canonical ? '' : `${rawHost} means ${canonical}, and `;
      return deny(`${spelled}${describeAddressClass(address, cls)}; such addresses are never reachable from a sandbox`);
    }
    return { allowed: true, reason: `${canonical} is public`, target: { kind: 'ip', address, host: canonical } };
  }
  const reserved = reservedNameReason(parsed.name);
  if (reserved) return deny(`${reserved}; it is never reachable from a sandbox`);
  return { allowed: true, reason: `${parsed.name} is a host name`, target: { kind: 'name', name: parsed.name, host: parsed.name } };
}

/** Parses one `allowed_hosts`-style entry: `host`, `*.domain`, `1.2.3.4`, `[2001:db8::1]`, each optionally `:port`. */
function parseRule(entry: string, source: string): HostRule {
  const fail = (why: string): never => {
    throw new EgressError('invalid_policy', `${source} entry ${JSON.stringify(entry)} ${why}`);
  };
  let text = entry.trim();
  let port: number | undefined;
  const portMatch = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(text);
  if (portMatch) {
    text = portMatch[1]!;
    port = Number(portMatch[2]);
    if (port < 1 || port > 65535) fail('has an invalid port');
  }
  const wildcard = text.startsWith('*.');
  if (wildcard) text = text.slice(2);
  const ascii = /[^\x00-\x7f]/.test(text) ? domainToASCII(text) : text;
  const parsed = parseHost(ascii);
  if (parsed.kind === 'invalid') return fail('is not a host name or IP address');
  if (parsed.kind === 'ip' && wildcard) return fail('puts a wildcard on an IP address');
  const host = parsed.kind === 'ip' ? formatIp(parsed.address) : parsed.name;
  return port === undefined ? { entry, source, host, wildcard } : { entry, source, host, wildcard, port };
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function deny(reason: string): { allowed: false; reason: string } {
  return { allowed: false, reason };
}
