import { describe, expect, it } from 'vitest';
import { EgressError } from '../../src/network/errors.js';
import { parseIpLiteral } from '../../src/network/ip-literal.js';
import { PACKAGE_REGISTRY_HOSTS } from '../../src/network/package-registries.js';
import { createNetworkPolicy, type NetworkPolicy } from '../../src/network/policy.js';

const unrestricted = createNetworkPolicy({ networking: { type: 'unrestricted' } });

function limited(options: { hosts?: string[]; packages?: boolean; mcp?: boolean; mcpHosts?: string[] } = {}): NetworkPolicy {
  return createNetworkPolicy({
    networking: {
      type: 'limited',
      allowed_hosts: options.hosts ?? [],
      allow_package_managers: options.packages ?? false,
      allow_mcp_servers: options.mcp ?? false,
    },
    mcpServerHosts: options.mcpHosts ?? [],
  });
}

const ALWAYS_DENIED = [
  ['127.0.0.1', /127\.0\.0\.1 is loopback/],
  ['2130706433', /2130706433 means 127\.0\.0\.1, and 127\.0\.0\.1 is loopback/],
  ['0x7f.1', /means 127\.0\.0\.1.*loopback/],
  ['0177.0.0.1', /means 127\.0\.0\.1.*loopback/],
  ['127.1', /means 127\.0\.0\.1.*loopback/],
  ['[::1]', /::1 is loopback/],
  ['\uff11\uff12\uff17.\uff10.\uff10.\uff11', /means 127\.0\.0\.1.*loopback/],
  ['127\u30020\u30020\u30021', /means 127\.0\.0\.1.*loopback/],
  ['[::ffff:127.0.0.1]', /IPv4-mapped form of 127\.0\.0\.1, which is loopback/],
  ['[::ffff:7f00:1]', /IPv4-mapped form of 127\.0\.0\.1, which is loopback/],
  ['169.254.169.254', /cloud metadata service/],
  ['0xa9fea9fe', /means 169\.254\.169\.254.*metadata/],
  ['[64:ff9b::a9fe:a9fe]', /NAT64 form of 169\.254\.169\.254.*metadata/],
  ['[2002:a9fe:a9fe::1]', /6to4 form of 169\.254\.169\.254.*metadata/],
  ['[2002:c0a8:101::1]', /6to4 form of 192\.168\.1\.1, which is private/],
  ['10.1.2.3', /private \(RFC 1918\)/],
  ['192.168.0.10', /private \(RFC 1918\)/],
  ['172.20.0.1', /private \(RFC 1918\)/],
  ['[fd00::1]', /unique local/],
  ['[fe80::1%25eth0]', /scoped address \(zone eth0\)/],
  ['169.254.1.1', /link-local/],
  ['100.64.0.1', /carrier-grade NAT/],
  ['0.0.0.0', /"this network"/],
  ['0', /means 0\.0\.0\.0/],
  ['[::]', /unspecified/],
  ['224.0.0.251', /multicast/],
  ['255.255.255.255', /broadcast/],
  ['240.0.0.1', /reserved/],
  ['metadata.google.internal', /cloud metadata service name/],
  ['metadata', /cloud metadata service name/],
  ['METADATA.google.internal.', /cloud metadata service name/],
  ['localhost', /name of the host itself/],
  ['db.localhost', /name of the host itself/],
  ['1.2.3.4.5', /not a valid one/],
  ['exa mple.com', /not a valid host name/],
] as const;

describe('denied under every policy', () => {
  const policies: Array<[string, NetworkPolicy]> = [
    ['unrestricted', unrestricted],
    ['limited, even when the entry is listed', limited({ hosts: ['127.0.0.1', '169.254.169.254', 'metadata.google.internal', 'localhost', '10.1.2.3'] })],
  ];
  for (const [name, policy] of policies) {
    it.each(ALWAYS_DENIED)(`${name}: %s`, (host, reason) => {
      const decision = policy.checkHost(host, 80);
      expect(decision.allowed).toBe(false);
      expect(decision.reason).toMatch(reason);
    });
  }

  it('denies a name whose resolved address is not public, explaining both', () => {
    const decision = unrestricted.checkAddress('rebind.example', parseIpLiteral('10.0.0.7')!);
    expect(decision).toEqual({
      allowed: false,
      reason: 'rebind.example resolves to 10.0.0.7, which is private (RFC 1918) [10.0.0.0/8]; such addresses are never reachable from a sandbox',
    });
    expect(unrestricted.checkAddress('ok.example', parseIpLiteral('1.2.3.4')!).allowed).toBe(true);
    expect(unrestricted.checkAddress('mapped.example', parseIpLiteral('::ffff:169.254.169.254')!).allowed).toBe(false);
    expect(unrestricted.checkAddress('scoped.example', parseIpLiteral('2606:4700::1%eth0')!).allowed).toBe(false);
  });
});

describe('unrestricted networking', () => {
  it('allows any public host on ports 80 and 443, with the canonical target', () => {
    const decision = unrestricted.checkHost('Example.COM', 443);
    expect(decision).toMatchObject({ allowed: true, target: { kind: 'name', name: 'example.com' } });
    expect(decision.reason).toBe('example.com:443 is allowed (unrestricted networking)');
    expect(unrestricted.checkHost('8.8.8.8', 80)).toMatchObject({ allowed: true, target: { kind: 'ip', host: '8.8.8.8' } });
    expect(unrestricted.checkHost('134744072', 80)).toMatchObject({ allowed: true, target: { kind: 'ip', host: '8.8.8.8' } });
  });

  it('denies other ports unless configured', () => {
    expect(unrestricted.checkHost('example.com', 22)).toEqual({
      allowed: false,
      reason: 'port 22 of example.com is not allowed (allowed ports: 80, 443)',
    });
    const anyPort = createNetworkPolicy({ networking: { type: 'unrestricted' }, ports: 'any' });
    expect(anyPort.checkHost('example.com', 22).allowed).toBe(true);
    expect(anyPort.checkHost('example.com', 0).allowed).toBe(false);
    expect(anyPort.checkHost('example.com', 65536).allowed).toBe(false);
  });
});

describe('limited networking', () => {
  it('allows exact hosts only', () => {
    const policy = limited({ hosts: ['api.example.com'] });
    expect(policy.checkHost('api.example.com', 443)).toMatchObject({
      allowed: true,
      reason: 'api.example.com:443 is allowed by api.example.com (allowed_hosts)',
    });
    expect(policy.checkHost('API.example.com.', 443).allowed).toBe(true);
    expect(policy.checkHost('example.com', 443)).toEqual({
      allowed: false,
      reason: "example.com is not in this environment's allowed hosts (networking is limited)",
    });
    expect(policy.checkHost('x.api.example.com', 443).allowed).toBe(false);
    expect(policy.checkHost('api.example.com.evil.com', 443).allowed).toBe(false);
  });

  it('matches *.example.com against every name below example.com, but not example.com itself', () => {
    const policy = limited({ hosts: ['*.example.com'] });
    expect(policy.checkHost('a.example.com', 443).allowed).toBe(true);
    expect(policy.checkHost('a.b.example.com', 80).allowed).toBe(true);
    expect(policy.checkHost('example.com', 443).allowed).toBe(false);
    expect(policy.checkHost('badexample.com', 443).allowed).toBe(false);
    expect(policy.checkHost('a.example.com.evil.net', 443).allowed).toBe(false);
  });

  it('compares IP literal entries by address, whatever the notation', () => {
    const policy = limited({ hosts: ['8.8.8.8', '[2606:4700:0::1111]'] });
    expect(policy.checkHost('134744072', 443).allowed).toBe(true);
    expect(policy.checkHost('8.8.2056', 443).allowed).toBe(true);
    expect(policy.checkHost('[2606:4700::1111]', 443).allowed).toBe(true);
    expect(policy.checkHost('8.8.4.4', 443).allowed).toBe(false);
  });

  it('applies the default ports, and lets an entry with a port open exactly that port', () => {
    const policy = limited({ hosts: ['api.example.com', 'git.example.com:8443'] });
    expect(policy.checkHost('api.example.com', 22)).toEqual({
      allowed: false,
      reason: 'port 22 of api.example.com is not allowed (allowed ports: 80, 443)',
    });
    expect(policy.checkHost('git.example.com', 8443).allowed).toBe(true);
    expect(policy.checkHost('git.example.com', 443).allowed).toBe(false);
  });

  it('opens the package registries only with allow_package_managers', () => {
    for (const host of ['pypi.org', 'files.pythonhosted.org', 'registry.npmjs.org', 'crates.io', 'static.crates.io', 'index.crates.io', 'rubygems.org', 'proxy.golang.org', 'sum.golang.org', 'deb.debian.org', 'security.debian.org', 'archive.ubuntu.com', 'us.archive.ubuntu.com']) {
      expect(limited({ packages: true }).checkHost(host, 443), host).toMatchObject({ allowed: true, reason: expect.stringContaining('allow_package_managers') });
      expect(limited({ packages: false }).checkHost(host, 443).allowed, host).toBe(false);
    }
    expect(Object.keys(PACKAGE_REGISTRY_HOSTS).sort()).toEqual(['apt', 'cargo', 'gem', 'go', 'npm', 'pip']);
  });

  it('opens the MCP server hosts only with allow_mcp_servers', () => {
    const hosts = ['mcp.example.com', 'tools.example.net:8443'];
    const open = limited({ mcp: true, mcpHosts: hosts });
    expect(open.checkHost('mcp.example.com', 443)).toMatchObject({ allowed: true, reason: expect.stringContaining('allow_mcp_servers') });
    expect(open.checkHost('tools.example.net', 8443).allowed).toBe(true);
    expect(limited({ mcp: false, mcpHosts: hosts }).checkHost('mcp.example.com', 443).allowed).toBe(false);
  });

  it('allows nothing when allowed_hosts is empty or missing', () => {
    const bare = createNetworkPolicy({ networking: { type: 'limited' } });
    expect(bare.checkHost('example.com', 443).allowed).toBe(false);
    expect(bare.type).toBe('limited');
  });

  it('accepts internationalised entries and hosts', () => {
    const policy = limited({ hosts: ['bücher.example'] });
    expect(policy.checkHost('xn--bcher-kva.example', 443).allowed).toBe(true);
    expect(policy.checkHost('bücher.example', 443).allowed).toBe(true);
  });

  it.each(['', '*', '*.1.2.3.4', 'exa mple.com', 'host:99999', 'http://x/'])('rejects the entry %j', (entry) => {
    expect(() => limited({ hosts: [entry] })).toThrow(EgressError);
    try {
      limited({ hosts: [entry] });
    } catch (error) {
      expect((error as EgressError).code).toBe('invalid_policy');
    }
  });
});
