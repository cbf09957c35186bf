import { describe, expect, it } from 'vitest';
import { gemInstall } from '../../../src/hands/packages/gem-install.js';

describe('gemInstall', () => {
  it('installs for the user, its commands in ~/.local/bin, without documentation', () => {
    const command = gemInstall(['rails', 'rake:13.0.6'], { home: '/home/agent' });
    expect(command.argv).toEqual(['gem', 'install', '--user-install', '--bindir', '/home/agent/.local/bin', '--no-document', '--', 'rails', 'rake:13.0.6']);
    expect(command.env).toEqual({ GEM_SPEC_CACHE: '/tmp/longhand-packages/gem-specs' });
    expect(command.missing).toMatch(/^gem is not installed in the sandbox image/);
  });

  it('uses the mirror as its only source', () => {
    const command = gemInstall(['rake'], { home: '/h', mirror: 'http://10.0.0.5/gems/' });
    expect(command.argv.slice(-5)).toEqual(['--clear-sources', '--source', 'http://10.0.0.5/gems/', '--', 'rake']);
  });
});
