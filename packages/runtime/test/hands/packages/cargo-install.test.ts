import { describe, expect, it } from 'vitest';
import { cargoInstall } from '../../../src/hands/packages/cargo-install.js';

describe('cargoInstall', () => {
  it('installs into ~/.local, with its registry cache and build directory in scratch space', () => {
    const command = cargoInstall(['ripgrep', 'cargo-edit@0.12.2'], { home: '/home/agent' });
    expect(command.argv).toEqual(['cargo', 'install', '--root', '/home/agent/.local', '--', 'ripgrep', 'cargo-edit@0.12.2']);
    expect(command.env).toEqual({ CARGO_HOME: '/tmp/longhand-packages/cargo-home', CARGO_TARGET_DIR: '/tmp/longhand-packages/cargo-target' });
    expect(command.missing).toMatch(/^cargo is not installed in the sandbox image/);
  });

  it('replaces crates.io by the mirror as a sparse registry', () => {
    const command = cargoInstall(['ripgrep'], { home: '/h', mirror: 'http://10.0.0.5/crates/' });
    expect(command.argv).toEqual([
      'cargo', 'install', '--root', '/h/.local',
      '--config', 'source.crates-io.replace-with="longhand-mirror"',
      '--config', 'source.longhand-mirror.registry="sparse+http://10.0.0.5/crates/"',
      '--', 'ripgrep',
    ]);
  });
});
