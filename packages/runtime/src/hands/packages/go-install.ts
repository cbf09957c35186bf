import type { InstallCommand, InstallTarget } from './install-command.js';
import { SCRATCH } from './install-command.js';

/**
 * `go install path@version` with `GOBIN=~/.local/bin`: only the built commands reach the base
 * layer (module and build caches stay in scratch space). Outside a module `go install` needs a
 * version, so a bare path means `@latest`. `GOTOOLCHAIN=local` keeps it from downloading another
 * Go. A mirror is the `GOPROXY`.
 */
export function goInstall(packages: readonly string[], target: InstallTarget): InstallCommand {
  const env: Record<string, string> = {
    GOPATH: `${SCRATCH}/go`,
    GOBIN: `${target.home}/.local/bin`,
    GOMODCACHE: `${SCRATCH}/go/mod`,
    GOCACHE: `${SCRATCH}/go/cache`,
    GOFLAGS: '-modcacherw',
    GOTOOLCHAIN: 'local',
  };
  if (target.mirror) env.GOPROXY = target.mirror;
  return {
    manager: 'go',
    probe: ['go', 'version'],
    missing: 'go is not installed in the sandbox image (install Go on the host, under /usr)',
    argv: ['go', 'install', '--', ...packages.map((name) => (name.includes('@') ? name : `${name}@latest`))],
    env,
  };
}
