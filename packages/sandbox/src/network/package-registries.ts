/**
 * The one list of package-manager hosts that `allow_package_managers: true` opens under `limited`
 * networking: the package managers the environment's `packages` config knows (apt, cargo, gem,
 * go, npm, pip), each with the hosts its default configuration downloads from. Entries use the
 * same syntax as `allowed_hosts` (`*.example.com` matches every name below example.com).
 */
export const PACKAGE_REGISTRY_HOSTS = {
  apt: [
    'deb.debian.org',
    'security.debian.org',
    'archive.ubuntu.com',
    '*.archive.ubuntu.com',
    'security.ubuntu.com',
    'ports.ubuntu.com',
  ],
  cargo: ['crates.io', 'index.crates.io', 'static.crates.io'],
  gem: ['rubygems.org', 'index.rubygems.org'],
  go: ['proxy.golang.org', 'sum.golang.org'],
  npm: ['registry.npmjs.org', 'registry.yarnpkg.com'],
  pip: ['pypi.org', 'files.pythonhosted.org'],
} as const satisfies Record<string, readonly string[]>;

/** Every registry host pattern, flattened. */
export function packageRegistryHosts(): string[] {
  return Object.values(PACKAGE_REGISTRY_HOSTS).flat();
}
