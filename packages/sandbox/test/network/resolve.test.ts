import { describe, expect, it } from 'vitest';
import { EgressError } from '../../src/network/errors.js';
import { formatIp } from '../../src/network/ip-literal.js';
import { createNetworkPolicy } from '../../src/network/policy.js';
import { resolveEgress, type Resolver } from '../../src/network/resolve.js';

const policy = createNetworkPolicy({ networking: { type: 'unrestricted' } });

/** A resolver that answers from a table, one answer per call (the last one repeats), and counts calls. */
function scripted(table: Record<string, string[][]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (name: string): Promise<readonly string[]> => {
    const answers = table[name];
    if (!answers) throw Object.assign(new Error(`no such name ${name}`), { code: 'ENOTFOUND' });
    const seen = calls.filter((call) => call === name).length;
    calls.push(name);
    return answers[Math.min(seen, answers.length - 1)]!;
  };
  return Object.assign(resolver, { calls });
}

async function failure(promise: Promise<unknown>): Promise<EgressError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof EgressError)) throw new Error(`expected an EgressError, got ${String(error)}`);
  return error;
}

describe('resolveEgress', () => {
  it('pins a name to the public addresses it resolved to, resolving once', async () => {
    const resolver = scripted({ 'pub.example': [['1.2.3.4', '2606:4700::1', '1.2.3.4']] });
    const target = await resolveEgress(policy, 'pub.example', 443, { resolver });
    expect(target.host).toBe('pub.example');
    expect(target.port).toBe(443);
    expect(target.addresses.map(formatIp)).toEqual(['1.2.3.4', '2606:4700::1']);
    expect(resolver.calls).toEqual(['pub.example']);
  });

  it('never asks the resolver about IP literals', async () => {
    const resolver = scripted({});
    const target = await resolveEgress(policy, '134744072', 80, { resolver });
    expect(target.addresses.map(formatIp)).toEqual(['8.8.8.8']);
    expect(target.host).toBe('8.8.8.8');
    expect(resolver.calls).toEqual([]);
  });

  it('connects to the IPv4 address behind an IPv4-mapped answer', async () => {
    const resolver = scripted({ 'mapped.example': [['::ffff:1.2.3.4']] });
    const target = await resolveEgress(policy, 'mapped.example', 80, { resolver });
    expect(target.addresses.map(formatIp)).toEqual(['1.2.3.4']);
  });

  it('denies a name if any one of its addresses is denied', async () => {
    const resolver = scripted({ 'mixed.example': [['1.2.3.4', '10.0.0.5']] });
    const error = await failure(resolveEgress(policy, 'mixed.example', 80, { resolver }));
    expect(error.code).toBe('denied');
    expect(error.message).toMatch(/mixed\.example resolves to 10\.0\.0\.5, which is private/);
    expect(error.retryable).toBe(false);
  });

  it.each([
    ['::ffff:169.254.169.254', /IPv4-mapped form of 169\.254\.169\.254, which is the cloud metadata service/],
    ['fe80::1%eth0', /scoped address/],
    ['127.0.0.53', /loopback/],
    ['0.0.0.0', /"this network"/],
  ])('denies a name that resolves to %s', async (answer, reason) => {
    const error = await failure(resolveEgress(policy, 'evil.example', 80, { resolver: scripted({ 'evil.example': [[answer]] }) }));
    expect(error.code).toBe('denied');
    expect(error.message).toMatch(reason);
  });

  it('sees a rebinding name as it is at each lookup: public first, then denied', async () => {
    const resolver = scripted({ 'rebind.example': [['1.2.3.4'], ['192.168.1.10']] });
    const first = await resolveEgress(policy, 'rebind.example', 80, { resolver });
    expect(first.addresses.map(formatIp)).toEqual(['1.2.3.4']);
    const second = await failure(resolveEgress(policy, 'rebind.example', 80, { resolver }));
    expect(second.code).toBe('denied');
    expect(second.message).toMatch(/192\.168\.1\.10/);
  });

  it('denies reserved names and policy misses without resolving them', async () => {
    const resolver = scripted({ 'metadata.google.internal': [['1.2.3.4']], 'other.example': [['1.2.3.4']] });
    expect((await failure(resolveEgress(policy, 'metadata.google.internal', 80, { resolver }))).code).toBe('denied');
    const limited = createNetworkPolicy({ networking: { type: 'limited', allowed_hosts: ['pub.example'] } });
    expect((await failure(resolveEgress(limited, 'other.example', 80, { resolver }))).code).toBe('denied');
    expect(resolver.calls).toEqual([]);
  });

  it('reports resolver failures, empty answers and garbage as dns_failed', async () => {
    const resolver = scripted({ 'empty.example': [[]], 'garbage.example': [['not-an-ip']] });
    for (const name of ['missing.example', 'empty.example', 'garbage.example']) {
      const error = await failure(resolveEgress(policy, name, 80, { resolver }));
      expect(error.code, name).toBe('dns_failed');
      expect(error.retryable).toBe(true);
    }
  });

  it('stops waiting for a resolver that hangs when the signal fires', async () => {
    let sawAbort = false;
    const hanging: Resolver = (_name, signal) =>
      new Promise(() => {
        signal.addEventListener('abort', () => (sawAbort = true));
      });
    const controller = new AbortController();
    const pending = failure(resolveEgress(policy, 'slow.example', 80, { resolver: hanging, signal: controller.signal }));
    controller.abort();
    expect((await pending).code).toBe('aborted');
    expect(sawAbort).toBe(true);
    const timedOut = await failure(resolveEgress(policy, 'slow.example', 80, { resolver: hanging, signal: AbortSignal.timeout(10) }));
    expect(timedOut.code).toBe('timeout');
  });
});
