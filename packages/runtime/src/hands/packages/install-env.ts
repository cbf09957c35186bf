/**
 * Where a session's programs find what the environment's packages installed in its home: the
 * user-level prefix `~/.local` (npm, pip, cargo, gem and go commands) and the unpacked apt tree
 * `~/.apt` (commands, shared libraries, headers, pkg-config files). Every session sandbox gets
 * these variables: they name directories of its own home, which are empty when nothing was
 * installed, so they cost nothing there and keep working for the files a session already has
 * after its environment's packages change.
 */

/** The system part of PATH, as every sandbox has it. */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The multiarch directory of this host's architecture (Debian's `lib/<triplet>`). */
export function multiarchTriplet(arch: string = process.arch): string {
  const triplets: Record<string, string> = {
    x64: 'x86_64-linux-gnu',
    arm64: 'aarch64-linux-gnu',
    arm: 'arm-linux-gnueabihf',
    ia32: 'i386-linux-gnu',
    ppc64: 'powerpc64le-linux-gnu',
    s390x: 's390x-linux-gnu',
    riscv64: 'riscv64-linux-gnu',
  };
  return triplets[arch] ?? `${arch}-linux-gnu`;
}

/**
 * The variables for a sandbox whose home is `home`.
 * @example installedPackagesEnv('/home/agent').PATH // '/home/agent/.local/bin:/home/agent/.apt/usr/bin:…'
 */
export function installedPackagesEnv(home: string, triplet: string = multiarchTriplet()): Record<string, string> {
  const apt = `${home}/.apt`;
  const libs = [`${apt}/usr/lib/${triplet}`, `${apt}/lib/${triplet}`, `${apt}/usr/lib`, `${apt}/lib`];
  return {
    PATH: [`${home}/.local/bin`, `${apt}/usr/local/bin`, `${apt}/usr/bin`, `${apt}/bin`, SYSTEM_PATH].join(':'),
    LD_LIBRARY_PATH: libs.join(':'),
    LIBRARY_PATH: libs.join(':'),
    CPATH: [`${apt}/usr/include/${triplet}`, `${apt}/usr/include`].join(':'),
    PKG_CONFIG_PATH: [`${apt}/usr/lib/${triplet}/pkgconfig`, `${apt}/usr/lib/pkgconfig`, `${apt}/usr/share/pkgconfig`].join(':'),
  };
}
