import type { InstallCommand, InstallTarget } from './install-command.js';

/**
 * `pip install --user` (packages under `~/.local/lib/python3.X`, scripts in `~/.local/bin`),
 * run as `python3 -m pip` so it installs for the interpreter sessions run. Debian 12 marks its
 * Python as externally managed (PEP 668); a user install in the sandbox's own home cannot break
 * the system, so `PIP_BREAK_SYSTEM_PACKAGES` allows it (through the environment, which older
 * pips that lack the option ignore). A mirror replaces the index; an `http://` mirror is marked
 * trusted, as pip requires.
 */
export function pipInstall(packages: readonly string[], target: InstallTarget): InstallCommand {
  const argv = ['python3', '-m', 'pip', 'install', '--user', '--no-cache-dir', '--no-warn-script-location', '--disable-pip-version-check', '--progress-bar', 'off'];
  if (target.mirror) {
    argv.push('--index-url', target.mirror);
    const url = new URL(target.mirror);
    if (url.protocol === 'http:') argv.push('--trusted-host', url.host);
  }
  return {
    manager: 'pip',
    probe: ['python3', '-m', 'pip', '--version'],
    missing: 'pip is not installed in the sandbox image (python3 -m pip failed; install python3-pip on the host)',
    argv: [...argv, '--', ...packages],
    env: { PIP_BREAK_SYSTEM_PACKAGES: '1' },
  };
}
