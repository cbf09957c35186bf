import type { InstallCommand, InstallTarget } from './install-command.js';
import { SCRATCH } from './install-command.js';

/**
 * `npm install --global` into `~/.local` (packages under `~/.local/lib/node_modules`, their
 * commands in `~/.local/bin`): global installs need no root when the prefix is the user's own.
 * The cache stays in scratch space; a mirror replaces the registry.
 * @example npmInstall(['typescript@5'], { home: '/home/agent' }).argv
 */
export function npmInstall(packages: readonly string[], target: InstallTarget): InstallCommand {
  const argv = ['npm', 'install', '--global', '--prefix', `${target.home}/.local`, '--cache', `${SCRATCH}/npm-cache`, '--no-audit', '--no-fund', '--no-update-notifier'];
  if (target.mirror) argv.push('--registry', target.mirror);
  return {
    manager: 'npm',
    probe: ['npm', '--version'],
    missing: 'npm is not installed in the sandbox image (install Node.js and npm on the host)',
    argv: [...argv, '--', ...packages],
    env: {},
  };
}
