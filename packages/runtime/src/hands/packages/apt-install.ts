/**
 * apt without root, the way Heroku's apt buildpack does it: apt-get downloads the packages (and
 * those of their dependencies the host does not have) into scratch space, using private state
 * and cache directories, then `dpkg-deb -x` unpacks each into `~/.apt`. Nothing is configured:
 * maintainer scripts do not run, and programs find their files through the variables of
 * install-env.ts (PATH, LD_LIBRARY_PATH…). The host's package database (`/var/lib/dpkg/status`,
 * which the sandbox cannot see) comes on standard input, so apt skips what the read-only system
 * already provides.
 */
import type { InstallCommand } from './install-command.js';
import { SCRATCH } from './install-command.js';

/** What the apt builder needs from the host. */
export interface AptTarget {
  /** The home directory inside the sandbox. */
  home: string;
  /** `deb …` source lines: the operator's mirror lines, or the host distribution's defaults. */
  sources: readonly string[];
  /** The host's dpkg status file (the packages the read-only system already has). */
  status: string;
}

/**
 * The script run inside the sandbox: fixed text, package names arrive as "$@". apt-get finds no
 * /etc/apt and no /var/lib in the sandbox, so every directory it uses is given explicitly.
 */
export const APT_SCRIPT = `set -euo pipefail
work="$LONGHAND_APT_WORK"
mkdir -p "$work/etc/apt.conf.d" "$work/etc/preferences.d" "$work/etc/sources.list.d" "$work/etc/trusted.gpg.d" "$work/lists/partial" "$work/archives/partial"
printf '%s\\n' "$LONGHAND_APT_SOURCES" > "$work/etc/sources.list"
cat > "$work/status"
apt=(apt-get -q -o "Dir::Etc=$work/etc" -o "Dir::State=$work" -o "Dir::State::Lists=$work/lists" -o "Dir::State::status=$work/status" -o "Dir::Cache=$work" -o "Dir::Cache::archives=$work/archives" -o Debug::NoLocking=1 -o APT::Install-Recommends=0 -o APT::Get::Assume-Yes=1)
if [ -n "\${HTTP_PROXY:-}" ]; then apt+=(-o "Acquire::http::Proxy=$HTTP_PROXY" -o "Acquire::https::Proxy=$HTTP_PROXY"); fi
"\${apt[@]}" update --error-on=any
"\${apt[@]}" install --download-only -- "$@"
mkdir -p "$LONGHAND_APT_ROOT"
for deb in "$work"/archives/*.deb; do
  [ -e "$deb" ] || continue
  echo "unpacking \${deb##*/}"
  dpkg-deb -x "$deb" "$LONGHAND_APT_ROOT"
done
`;

/**
 * The apt install of `packages` into `~/.apt`.
 * @example aptInstall(['jq'], { home: '/home/agent', sources: ['deb http://deb.debian.org/debian bookworm main'], status }).argv
 */
export function aptInstall(packages: readonly string[], target: AptTarget): InstallCommand {
  return {
    manager: 'apt',
    probe: ['sh', '-c', 'command -v apt-get && command -v dpkg-deb'],
    missing: 'apt-get and dpkg-deb are not installed in the sandbox image (apt packages need a Debian-based host)',
    argv: ['bash', '-c', APT_SCRIPT, 'longhand-apt', ...packages],
    env: { LONGHAND_APT_WORK: `${SCRATCH}/apt`, LONGHAND_APT_ROOT: `${target.home}/.apt`, LONGHAND_APT_SOURCES: target.sources.join('\n') },
    stdin: target.status,
  };
}

/** Keyrings of the distributions whose default sources are known. */
const DISTRIBUTIONS: Record<string, (codename: string) => string[]> = {
  debian: (codename) => {
    const signed = '[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]';
    return [
      `deb ${signed} http://deb.debian.org/debian ${codename} main`,
      `deb ${signed} http://deb.debian.org/debian ${codename}-updates main`,
      `deb ${signed} http://deb.debian.org/debian-security ${codename}-security main`,
    ];
  },
  ubuntu: (codename) => {
    const signed = '[signed-by=/usr/share/keyrings/ubuntu-archive-keyring.gpg]';
    return [
      `deb ${signed} http://archive.ubuntu.com/ubuntu ${codename} main universe`,
      `deb ${signed} http://archive.ubuntu.com/ubuntu ${codename}-updates main universe`,
      `deb ${signed} http://security.ubuntu.com/ubuntu ${codename}-security main universe`,
    ];
  },
};

/**
 * The default apt sources of the host's distribution, from its `/etc/os-release` text: the
 * same release the sandbox's read-only system comes from, so downloaded packages fit it.
 * @returns undefined for a distribution without known defaults (then an operator mirror is needed)
 */
export function defaultAptSources(osRelease: string): string[] | undefined {
  const field = (name: string): string | undefined => new RegExp(`^${name}="?([A-Za-z0-9._-]+)"?$`, 'm').exec(osRelease)?.[1];
  const id = field('ID');
  const codename = field('VERSION_CODENAME');
  if (!id || !codename) return undefined;
  return DISTRIBUTIONS[id]?.(codename);
}
