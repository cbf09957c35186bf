import type { Environment } from '@longhand/protocol';
import { describe, expect, it } from 'vitest';
import { installPlan, packageListsOf, packagesHash } from '../../../src/hands/packages/install-plan.js';

function environment(packages: Partial<Record<'apt' | 'cargo' | 'gem' | 'go' | 'npm' | 'pip', string[]>>): Environment {
  return {
    type: 'environment', id: 'env_x', name: 'x', description: null, metadata: {}, archived_at: null, created_at: '', updated_at: '',
    config: { type: 'cloud', networking: { type: 'unrestricted' }, packages: { type: 'packages', apt: [], cargo: [], gem: [], go: [], npm: [], pip: [], ...packages } },
  };
}

const host = () => ({ status: 'Package: bash\n', defaultSources: ['deb http://deb.debian.org/debian bookworm main'] });

describe('packageListsOf', () => {
  it('sorts each list, drops repeats and empty lists, and is undefined without packages', () => {
    expect(packageListsOf(environment({ npm: ['b', 'a', 'b'], pip: [] }))).toEqual({ npm: ['a', 'b'] });
    expect(packageListsOf(environment({}))).toBeUndefined();
    expect(packageListsOf(undefined)).toBeUndefined();
    expect(packageListsOf({ ...environment({}), config: { type: 'self_hosted' } })).toBeUndefined();
  });
});

describe('packagesHash', () => {
  it('is the same for the same packages in any order, and differs when they differ', () => {
    const a = packagesHash(packageListsOf(environment({ npm: ['x', 'y'], apt: ['jq'] }))!);
    expect(packagesHash(packageListsOf(environment({ apt: ['jq'], npm: ['y', 'x', 'x'] }))!)).toBe(a);
    expect(packagesHash(packageListsOf(environment({ npm: ['x'], apt: ['jq'] }))!)).not.toBe(a);
    // The same name under another manager is another package.
    expect(packagesHash({ npm: ['jq'] })).not.toBe(packagesHash({ apt: ['jq'] }));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('installPlan', () => {
  it('puts apt first, then pip, npm, gem, cargo and go, each with its mirror', () => {
    const plan = installPlan({ go: ['example.com/x'], npm: ['a'], apt: ['jq'], pip: ['b'], gem: ['c'], cargo: ['d'] }, { home: '/home/agent', mirrors: { npm: 'http://m/' }, apt: host });
    expect(plan.map((command) => command.manager)).toEqual(['apt', 'pip', 'npm', 'gem', 'cargo', 'go']);
    expect(plan[2]!.argv).toContain('http://m/');
    expect(plan[0]!.env.LONGHAND_APT_SOURCES).toBe('deb http://deb.debian.org/debian bookworm main');
  });

  it("prefers the operator's apt mirror lines to the distribution's", () => {
    const [apt] = installPlan({ apt: ['jq'] }, { home: '/h', mirrors: { apt: ['deb http://10.0.0.5/debian bookworm main'] }, apt: host });
    expect(apt!.env.LONGHAND_APT_SOURCES).toBe('deb http://10.0.0.5/debian bookworm main');
  });

  it('says why apt cannot work on a host without a package database or known sources', () => {
    expect(() => installPlan({ apt: ['jq'] }, { home: '/h', mirrors: {}, apt: () => ({ status: undefined, defaultSources: [] }) })).toThrow(/Debian-based host/);
    expect(() => installPlan({ apt: ['jq'] }, { home: '/h', mirrors: {}, apt: () => ({ status: '', defaultSources: undefined }) })).toThrow(/need an apt mirror/);
    // Never asked when there are no apt packages.
    expect(installPlan({ npm: ['a'] }, { home: '/h', mirrors: {}, apt: () => { throw new Error('not asked'); } })).toHaveLength(1);
  });
});
