import { describe, expect, it } from 'vitest';
import { installedPackagesEnv, multiarchTriplet } from '../../../src/hands/packages/install-env.js';

describe('installedPackagesEnv', () => {
  it("puts the home's user prefix and unpacked apt tree before the system", () => {
    const env = installedPackagesEnv('/home/agent', 'x86_64-linux-gnu');
    expect(env.PATH).toBe('/home/agent/.local/bin:/home/agent/.apt/usr/local/bin:/home/agent/.apt/usr/bin:/home/agent/.apt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(env.LD_LIBRARY_PATH).toBe('/home/agent/.apt/usr/lib/x86_64-linux-gnu:/home/agent/.apt/lib/x86_64-linux-gnu:/home/agent/.apt/usr/lib:/home/agent/.apt/lib');
    expect(env.PKG_CONFIG_PATH?.split(':')[0]).toBe('/home/agent/.apt/usr/lib/x86_64-linux-gnu/pkgconfig');
    expect(env.CPATH).toBe('/home/agent/.apt/usr/include/x86_64-linux-gnu:/home/agent/.apt/usr/include');
  });

  it("knows Debian's multiarch names", () => {
    expect(multiarchTriplet('x64')).toBe('x86_64-linux-gnu');
    expect(multiarchTriplet('arm64')).toBe('aarch64-linux-gnu');
  });
});
