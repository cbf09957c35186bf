import { describe, expect, it } from 'vitest';
import { buildSandboxEnv } from '@longhand/sandbox';

const identity = { home: '/home/agent', user: 'agent' };

describe('sandbox environment', () => {
  it('starts from fixed defaults, not from the host', () => {
    const env = buildSandboxEnv(undefined, identity, [], { AWS_SECRET_ACCESS_KEY: 'x', PATH: '/evil', HOME: '/root' });
    expect(env).toMatchObject({ HOME: '/home/agent', USER: 'agent', PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' });
    expect(Object.values(env)).not.toContain('x');
  });

  it('copies only the allowed host variables, and adds the spec\'s', () => {
    const env = buildSandboxEnv({ NODE_ENV: 'test' }, identity, ['TZ', 'MISSING'], { TZ: 'Europe/Paris', SECRET: 's' });
    expect(env.TZ).toBe('Europe/Paris');
    expect(env.NODE_ENV).toBe('test');
    expect('MISSING' in env).toBe(false);
    expect('SECRET' in env).toBe(false);
  });

  it('rejects invalid names, reserved names and NUL bytes', () => {
    expect(() => buildSandboxEnv({ 'A-B': '1' }, identity)).toThrow(/invalid/);
    expect(() => buildSandboxEnv({ HTTPS_PROXY: 'http://elsewhere' }, identity)).toThrow(/HTTPS_PROXY/);
    expect(() => buildSandboxEnv({ OK: 'a\0b' }, identity)).toThrow(/invalid value/);
    expect(() => buildSandboxEnv(undefined, identity, ['HOME'])).toThrow(/HOME/);
  });
});
