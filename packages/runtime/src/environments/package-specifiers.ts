/**
 * Which strings may stand in an environment's `config.packages`: plausible registry specifiers of
 * each package manager, nothing else. Names are user input that ends up on an installer's command
 * line (as separate argv entries, never in a shell string), so anything an installer would read as
 * an option (`-r file`, `--index-url`), a path (`./x`, `/x`), a URL (`git+https://…`, `http://…`),
 * or two words is refused when the environment is created or updated, with the reason.
 */

/** The package managers of `config.packages`, in the wire's order. */
export const PACKAGE_MANAGERS = ['apt', 'cargo', 'gem', 'go', 'npm', 'pip'] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

/** Longest specifier accepted (npm's limit on a name is 214; a version rarely adds much). */
export const MAX_SPECIFIER_LENGTH = 214;

interface SpecifierRule {
  pattern: RegExp;
  /** What a valid one looks like, for the error message. */
  expected: string;
}

const PIP_VERSION = String.raw`(?:===|==|!=|~=|>=|<=|>|<)[A-Za-z0-9.*+!_-]+`;

const RULES: Record<PackageManager, SpecifierRule> = {
  // Debian policy: lower case, digits, + - . (two characters at least); then an architecture
  // qualifier, and a version (`=1.2-3`) or a release (`/bookworm-backports`). Never ending in
  // `-`, which apt-get reads as "remove this package".
  apt: {
    pattern: /^[a-z0-9][a-z0-9+.-]*[a-z0-9+](?::[a-z0-9-]+)?(?:=[A-Za-z0-9.+~:-]+|\/[A-Za-z0-9.+-]+)?$/,
    expected: 'name, name=version or name/release',
  },
  // Crate names are ASCII letters, digits, `-` and `_`; `cargo install` takes `name@version`.
  cargo: { pattern: /^[A-Za-z][A-Za-z0-9_-]*(?:@[A-Za-z0-9.+^~=<>*-]+)?$/, expected: 'name or name@version' },
  // `gem install` takes `name:version`.
  gem: { pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*(?::[A-Za-z0-9.]+)?$/, expected: 'name or name:version' },
  // A module or package path (`golang.org/x/tools/cmd/goimports`), optionally `@version`.
  go: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9._~-]*(?:\/[A-Za-z0-9._~+-]+)*(?:@[A-Za-z0-9._+-]+)?$/,
    expected: 'a package path such as example.com/cmd/tool, optionally @version',
  },
  // A registry name, optionally scoped, optionally `@version`, `@tag` or `@range` (no spaces).
  npm: {
    pattern: /^(?:@[A-Za-z0-9][A-Za-z0-9._~-]*\/)?[A-Za-z0-9][A-Za-z0-9._~-]*(?:@[A-Za-z0-9._~^*+<>=|-]+)?$/,
    expected: 'name, @scope/name or either with @version',
  },
  // PEP 508 without URLs or markers: a name, extras, and comma-separated version clauses.
  pip: {
    pattern: new RegExp(String.raw`^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:\[[A-Za-z0-9._,-]+\])?(?:${PIP_VERSION}(?:,${PIP_VERSION})*)?$`),
    expected: 'name, name[extra] or either with version clauses such as ==2.0.0 or >=1,<2',
  },
};

/**
 * Why `specifier` is not a plausible `manager` package, or undefined when it is.
 * @example packageSpecifierProblem('pip', 'pandas==2.0.0') // undefined
 * @example packageSpecifierProblem('npm', '--registry=http://evil') // 'starts with "-" …'
 */
export function packageSpecifierProblem(manager: PackageManager, specifier: string): string | undefined {
  if (specifier.length === 0) return 'is empty';
  if (specifier.length > MAX_SPECIFIER_LENGTH) return `is longer than ${MAX_SPECIFIER_LENGTH} characters`;
  if (/\s/.test(specifier)) return 'contains whitespace';
  if (specifier.startsWith('-')) return 'starts with "-" (options are not accepted)';
  if (specifier.includes('://')) return `is a URL (only ${manager} registry names are accepted)`;
  const rule = RULES[manager];
  if (!rule.pattern.test(specifier)) return `is not a valid ${manager} package specifier (expected ${rule.expected})`;
  return undefined;
}
