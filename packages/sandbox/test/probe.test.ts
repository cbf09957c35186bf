import { afterAll, describe, expect, it } from 'vitest';
import { BWRAP_INSTALL_COMMAND, createBubblewrapProvider, describeProbe, probeHost, requireBubblewrap } from '@longhand/sandbox';
import { removeRoots, tempRoot } from './support/providers.js';

afterAll(removeRoots);

describe('host probe', () => {
  it('reports bubblewrap, user namespaces, cgroups, overlayfs and seccomp on this host', () => {
    const probe = probeHost();
    expect(probe.bubblewrap?.path).toMatch(/bwrap$/);
    expect(probe.bubblewrap?.version).toMatch(/^0\.(8|9|1\d)\./);
    expect(probe.userNamespaces.available).toBe(true);
    expect([1, 2]).toContain(probe.cgroups?.version);
    expect(probe.cgroups?.controllers).toEqual(expect.arrayContaining(['memory', 'pids', 'cpu', 'freezer']));
    expect(probe.overlayfs).toBe(true);
    expect(probe.seccomp).toBe(true);
    const report = describeProbe(probe);
    for (const word of ['bubblewrap', 'user namespaces', 'cgroups', 'overlayfs', 'seccomp']) expect(report).toContain(word);
  });

  it('says how to install bubblewrap when it is missing', async () => {
    const probe = probeHost({ bwrapPath: '/nonexistent/bwrap' });
    expect(probe.bubblewrap).toBeUndefined();
    expect(() => requireBubblewrap(probe)).toThrow(BWRAP_INSTALL_COMMAND);
    expect(BWRAP_INSTALL_COMMAND).toBe('apt-get install bubblewrap');
    expect(describeProbe(probe)).toContain('apt-get install bubblewrap');
    await expect(createBubblewrapProvider({ root: tempRoot(), bwrapPath: '/nonexistent/bwrap' })).rejects.toThrow(/apt-get install bubblewrap/);
  });

  it('refuses a bubblewrap older than 0.8', () => {
    const probe = { ...probeHost(), bubblewrap: { path: '/usr/bin/bwrap', version: '0.4.1' } };
    expect(() => requireBubblewrap(probe)).toThrow(/too old/);
  });
});
