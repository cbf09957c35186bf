import type { InstallCommand, InstallTarget } from './install-command.js';
import { SCRATCH } from './install-command.js';

/**
 * `gem install --user-install` (gems under `~/.local/share/gem`, which Ruby searches by default;
 * commands in `~/.local/bin`), without documentation. A mirror replaces rubygems.org.
 */
export function gemInstall(packages: readonly string[], target: InstallTarget): InstallCommand {
  const argv = ['gem', 'install', '--user-install', '--bindir', `${target.home}/.local/bin`, '--no-document'];
  if (target.mirror) argv.push('--clear-sources', '--source', target.mirror);
  return {
    manager: 'gem',
    probe: ['gem', '--version'],
    missing: 'gem is not installed in the sandbox image (install Ruby on the host)',
    argv: [...argv, '--', ...packages],
    env: { GEM_SPEC_CACHE: `${SCRATCH}/gem-specs` },
  };
}
