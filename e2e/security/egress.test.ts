/**
 * Reaching denied hosts from a sandbox: through its egress proxy (curl and raw sockets inside the
 * sandbox) and through the server-side web_fetch tool. Every denied destination is a trap that
 * would answer if reached (see support/egress-world.ts), and an allowed public-looking server in
 * a namespace of the test's own proves the network works, so a refusal is the policy's doing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { curlScript, parseCurlOutput, type Attempt, type AttemptResult } from './support/curl-probe.js';
import { createEgressWorld, METADATA, type EgressWorld } from './support/egress-world.js';
import { ipForms } from './support/ip-forms.js';
import type { PuppetSession } from './support/puppet.js';
import { startSecurityRig, type SecurityRig } from './support/security-rig.js';

let rig: SecurityRig;
let world: EgressWorld;
let agent: PuppetSession;

beforeAll(async () => {
  world = await createEgressWorld();
  rig = await startSecurityRig();
  agent = await rig.session();
});

afterAll(async () => {
  await rig?.close();
  await world?.destroy();
});

afterEach(async () => {
  expect(world.trapConnections()).toEqual({ loopback: 0, metadata: 0, private: 0 });
  await rig.expectHealthy();
});

/** Runs the attempts in the sandbox and returns one result each. */
async function attempt(attempts: Attempt[]): Promise<AttemptResult[]> {
  const outcome = await agent.bash(curlScript(attempts), 120_000);
  return parseCurlOutput(attempts, outcome.text);
}

/** Each URL in absolute form and through a CONNECT tunnel (to port 80, and 443 for https). */
function bothWays(label: string, host: string): Attempt[] {
  return [
    { label: `${label} (absolute form)`, url: `http://${host}/` },
    { label: `${label} (CONNECT :80)`, url: `http://${host}/`, tunnel: true },
    { label: `${label} (CONNECT :443)`, url: `https://${host}/`, tunnel: true },
  ];
}

/**
 * The refusal sentences of the network policy (web_fetch reports them as `url_not_accessible`,
 * like any destination it cannot reach; the reason says it was the policy).
 */
const POLICY_REFUSAL = /never reachable from a sandbox|is a cloud metadata service name|is a name of the host itself|not in this environment's allowed hosts/;

/** Asserts that the proxy itself refused every attempt, and that nothing of a trap came back. */
function expectRefusedByProxy(results: AttemptResult[]): void {
  for (const result of results) {
    expect(result.output, result.label).not.toContain(world.trapSecret);
    if (result.tunnel) expect(result.connectStatus, `${result.label}: ${result.output}`).toBe(403);
    else expect(result.status, `${result.label}: ${result.output}`).toBe(403);
    if (!result.tunnel) expect(result.output, result.label).toContain('egress denied by the network policy');
  }
}

describe('the allowed destination (proof that the network works)', () => {
  it('is reached through the proxy in absolute form, through a tunnel, and with the proxy from the environment', async () => {
    const before = world.publicServer.requests.length;
    const url = `http://${world.publicAddress}/hello`;
    const results = await attempt([
      { label: 'absolute form', url },
      { label: 'CONNECT tunnel', url, tunnel: true },
    ]);
    for (const result of results) {
      expect(result.status, result.output).toBe(200);
      expect(result.output).toContain(world.publicGreeting);
    }
    // Plain curl, as an agent would run it: HTTP_PROXY from the sandbox's environment.
    expect(await agent.bash(`curl -sS -m 10 ${url}`)).toEqual({ text: world.publicGreeting, isError: false });
    expect(world.publicServer.requests.length - before).toBe(3);
  });

  it('is fetched by web_fetch on the server', async () => {
    const outcome = await agent.call('web_fetch', { url: `http://${world.publicAddress}/hello` });
    expect(outcome.isError, outcome.text).toBe(false);
    expect(outcome.text).toContain(world.publicGreeting);
  });
});

describe('denied destinations through the sandbox egress proxy', () => {
  it('refuses a loopback service of the host, in every notation of its address', async () => {
    const attempts = ipForms(world.loopback).flatMap(({ form, host }) => bothWays(`loopback ${form} ${host}`, host));
    attempts.push(...bothWays('localhost', 'localhost'), ...bothWays('localhost.', 'localhost.'), ...bothWays('[::1]', '[::1]'));
    attempts.push(...bothWays('0.0.0.0', '0.0.0.0'), ...bothWays('0', '0'), ...bothWays('[::]', '[::]'));
    // The server's own API, on its real port.
    const api = new URL(rig.url);
    attempts.push({ label: 'the Longhand API itself', url: `${api.origin}/health` }, { label: 'the API by tunnel', url: `${api.origin}/health`, tunnel: true });
    expectRefusedByProxy(await attempt(attempts));
  });

  it('refuses private and carrier-grade NAT addresses', async () => {
    const attempts = Object.entries(world.privateAddresses).flatMap(([range, address]) =>
      ipForms(address)
        .filter(({ form }) => ['dotted', 'decimal integer', 'octal parts', 'hex integer', 'v6 mapped dotted', 'v6 mapped hex'].includes(form))
        .flatMap(({ form, host }) => bothWays(`${range} ${form} ${host}`, host)),
    );
    // IPv6 unique-local and link-local addresses (nothing listens there: the proxy must refuse
    // before it tries).
    for (const host of ['[fd12:3456:789a::1]', '[fc00::1]', '[fe80::1]']) attempts.push(...bothWays(host, host));
    expectRefusedByProxy(await attempt(attempts));
  });

  it('refuses the metadata service at 169.254.169.254 in every notation, and by its names', async () => {
    const attempts = ipForms(METADATA).flatMap(({ form, host }) => bothWays(`metadata ${form} ${host}`, host));
    for (const name of ['metadata.google.internal', 'metadata', 'instance-data']) attempts.push(...bothWays(name, name));
    attempts.push({ label: 'a metadata credentials path', url: `http://${METADATA}/latest/meta-data/iam/security-credentials/` });
    expectRefusedByProxy(await attempt(attempts));
  });

  it('does not follow a redirect from the allowed server to a denied destination', async () => {
    const redirect = (to: string) => `http://${world.publicAddress}/redirect?to=${encodeURIComponent(to)}`;
    const results = await attempt([
      { label: 'redirect to loopback', url: redirect(`http://${world.loopback}/`), follow: true },
      { label: 'redirect to metadata', url: redirect(`http://${METADATA}/latest/meta-data/`), follow: true },
      { label: 'redirect to a private address', url: redirect(`http://${world.privateAddresses['10/8']}/`), follow: true },
    ]);
    expectRefusedByProxy(results);
  });

  it('judges each request of a pipelined connection on its own, and refuses origin-form requests', async () => {
    const script = [
      'import socket, sys',
      'def exchange(payload):',
      '    s = socket.create_connection(("127.0.0.1", 3128), timeout=10)',
      '    s.sendall(payload.encode())',
      '    data = b""',
      '    try:',
      '        while True:',
      '            chunk = s.recv(65536)',
      '            if not chunk: break',
      '            data += chunk',
      '    except socket.timeout:',
      '        pass',
      '    return data.decode(errors="replace")',
      `pub, trap = "${world.publicAddress}", "${world.loopback}"`,
      'print(exchange(f"GET http://{pub}/hello HTTP/1.1\\r\\nHost: {pub}\\r\\n\\r\\nGET http://{trap}/ HTTP/1.1\\r\\nHost: {trap}\\r\\nConnection: close\\r\\n\\r\\n"))',
      'print("=== origin form")',
      'print(exchange(f"GET / HTTP/1.1\\r\\nHost: {trap}\\r\\nConnection: close\\r\\n\\r\\n"))',
      'print("=== host header disagreeing with the target")',
      'print(exchange(f"GET http://{trap}/ HTTP/1.1\\r\\nHost: {pub}\\r\\nConnection: close\\r\\n\\r\\n"))',
    ].join('\n');
    const outcome = await agent.bash(`python3 - <<'PY'\n${script}\nPY`, 60_000);
    expect(outcome.text).not.toContain(world.trapSecret);
    const [pipelined, origin, disagreeing] = outcome.text.split(/^=== .*$/m);
    expect(pipelined).toContain(world.publicGreeting);
    expect(pipelined).toMatch(/HTTP\/1\.1 403/);
    expect(origin).toMatch(/HTTP\/1\.1 400/);
    expect(disagreeing).toMatch(/HTTP\/1\.1 403/);
  });

  it('cannot go around the proxy: the sandbox has no route anywhere', async () => {
    const before = world.publicServer.requests.length;
    const outcome = await agent.bash(
      [
        `curl -sS -m 5 --noproxy '*' http://${world.publicAddress}/hello; echo " curl exit=$?"`,
        `curl -sS -m 5 --noproxy '*' http://${METADATA}/; echo " curl exit=$?"`,
        `python3 -c 'import socket; socket.create_connection(("${world.loopback}", 80), timeout=5)' 2>&1 | tail -1`,
        'getent hosts example.com; echo " dns exit=$?"',
        'ip -o addr 2>/dev/null || cat /proc/net/dev',
      ].join('\n'),
    );
    expect(outcome.text).not.toContain(world.publicGreeting);
    expect(outcome.text).not.toContain(world.trapSecret);
    expect(outcome.text.match(/ curl exit=\d+/g)).toEqual([' curl exit=7', ' curl exit=7']);
    expect(outcome.text).toMatch(/ConnectionRefusedError|Network is unreachable|OSError/);
    expect(outcome.text).toMatch(/dns exit=[1-9]/);
    expect(world.publicServer.requests.length).toBe(before);
  });

  it('applies a limited environment: a public host outside allowed_hosts is refused too', async () => {
    const environment = await rig.brain.client.beta.environments.create({
      name: `limited-${Date.now()}`,
      config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['example.com'] } },
    } as never);
    const limited = await rig.session({ environment_id: environment.id });
    const before = world.publicServer.requests.length;
    const url = `http://${world.publicAddress}/hello`;
    const outcome = await limited.bash(curlScript([{ label: 'public', url }, { label: 'public by tunnel', url, tunnel: true }]), 60_000);
    const results = parseCurlOutput([{ label: 'public', url }, { label: 'public by tunnel', url, tunnel: true }], outcome.text);
    expectRefusedByProxy(results);
    const fetched = await limited.call('web_fetch', { url });
    expect(fetched.isError).toBe(true);
    expect(fetched.text).toMatch(POLICY_REFUSAL);
    expect(world.publicServer.requests.length).toBe(before);
    expect(world.publicServer.connections).toBeGreaterThan(0);
  });
});

describe('denied destinations through web_fetch (on the server)', () => {
  it('refuses loopback, private and metadata addresses in every notation', async () => {
    const hosts = [
      ...ipForms(world.loopback).map(({ form, host }) => ({ label: `loopback ${form}`, host })),
      ...ipForms(METADATA).map(({ form, host }) => ({ label: `metadata ${form}`, host })),
      ...Object.entries(world.privateAddresses).map(([range, host]) => ({ label: range, host })),
      { label: 'localhost', host: 'localhost' },
      { label: 'metadata name', host: 'metadata.google.internal' },
      { label: 'the API', host: new URL(rig.url).host },
    ];
    const outcomes = await agent.calls(hosts.map(({ host }) => ({ name: 'web_fetch', input: { url: `http://${host}/` } })));
    for (const [index, outcome] of outcomes.entries()) {
      expect(outcome.isError, `${hosts[index]!.label}: ${outcome.text}`).toBe(true);
      expect(outcome.text, hosts[index]!.label).toMatch(POLICY_REFUSAL);
      expect(outcome.text).not.toContain(world.trapSecret);
    }
  });

  it('refuses a redirect from the allowed server to a denied destination', async () => {
    const targets = [`http://${world.loopback}/`, `http://${METADATA}/latest/meta-data/`, `http://2852039166/`, `http://[::ffff:${world.loopback}]/`];
    const outcomes = await agent.calls(
      targets.map((to) => ({ name: 'web_fetch', input: { url: `http://${world.publicAddress}/redirect?to=${encodeURIComponent(to)}` } })),
    );
    for (const [index, outcome] of outcomes.entries()) {
      expect(outcome.isError, `${targets[index]}: ${outcome.text}`).toBe(true);
      expect(outcome.text).toMatch(POLICY_REFUSAL);
      expect(outcome.text).not.toContain(world.trapSecret);
    }
  });
});
