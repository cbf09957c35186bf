import type { InstallCommand, InstallTarget } from './install-command.js';
import { SCRATCH } from './install-command.js';

/**
 * `cargo install --root ~/.local` (commands in `~/.local/bin`). The registry cache and the build
 * directory stay in scratch space, so only the installed binaries reach the base layer. A mirror
 * replaces crates.io as a sparse registry.
 */
export function cargoInstall(packages: readonly string[], target: InstallTarget): InstallCommand {
  const argv = ['cargo', 'install', '--root', `${target.home}/.local`];
  if (target.mirror) {
    const registry = target.mirror.startsWith('sparse+') ? target.mirror : `sparse+${target.mirror}`;
    // The URL was validated (no quotes, no spaces), so it is a safe TOML string.
    argv.push('--config', 'source.crates-io.replace-with="longhand-mirror"', '--config', `source.longhand-mirror.registry="${registry}"`);
  }
  return {
    manager: 'cargo',
    probe: ['cargo', '--version'],
    missing: 'cargo is not installed in the sandbox image (install Rust\'s cargo on the host, under /usr)',
    argv: [...argv, '--', ...packages],
    env: { CARGO_HOME: `${SCRATCH}/cargo-home`, CARGO_TARGET_DIR: `${SCRATCH}/cargo-target` },
  };
}
