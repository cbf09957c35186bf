/**
 * What an environment's base layer holds: its package lists in canonical form, the hash that
 * names the base (two environments' bases, or one environment's before and after an update,
 * are the same exactly when this hash is), and the install commands in the order they run.
 */
import { createHash } from 'node:crypto';
import type { Environment } from '@longhand/protocol';
import { PACKAGE_MANAGERS, type PackageManager } from '../../environments/package-specifiers.js';
import { aptInstall } from './apt-install.js';
import { cargoInstall } from './cargo-install.js';
import { gemInstall } from './gem-install.js';
import { goInstall } from './go-install.js';
import type { InstallCommand } from './install-command.js';
import { npmInstall } from './npm-install.js';
import type { PackageMirrors } from './package-mirrors.js';
import { pipInstall } from './pip-install.js';

/**
 * Bumped when the install commands change what a base holds (its layout, the managers' flags):
 * bases built by an older recipe are then rebuilt for new sessions.
 */
export const BASE_RECIPE = 1;

/** Package lists by manager: sorted, without duplicates, without empty lists. */
export type PackageLists = Partial<Record<PackageManager, string[]>>;

/** The environment's packages in canonical form, or undefined when it has none. */
export function packageListsOf(environment: Environment | undefined): PackageLists | undefined {
  if (environment?.config.type !== 'cloud') return undefined;
  const lists: PackageLists = {};
  for (const manager of PACKAGE_MANAGERS) {
    const names = [...new Set(environment.config.packages[manager] ?? [])].sort();
    if (names.length > 0) lists[manager] = names;
  }
  return Object.keys(lists).length > 0 ? lists : undefined;
}

/** The hash naming a base: of the recipe version and the canonical lists (hex SHA-256). */
export function packagesHash(lists: PackageLists): string {
  const canonical = PACKAGE_MANAGERS.map((manager) => [manager, lists[manager] ?? []]);
  return createHash('sha256').update(JSON.stringify([BASE_RECIPE, canonical])).digest('hex');
}

/** What the plan needs from the host and the operator. */
export interface PlanContext {
  /** The home directory inside sandboxes. */
  home: string;
  mirrors: PackageMirrors;
  /** Host facts apt needs, read only when there are apt packages. */
  apt: () => { status: string | undefined; defaultSources: string[] | undefined };
}

/**
 * The install commands, apt first (other managers' packages may build against its libraries).
 * @throws Error when apt packages cannot be installed on this host at all (no package database,
 *   or no known default sources and no mirror)
 */
export function installPlan(lists: PackageLists, context: PlanContext): InstallCommand[] {
  const commands: InstallCommand[] = [];
  const { home, mirrors } = context;
  if (lists.apt) {
    const host = context.apt();
    if (host.status === undefined) throw new Error('apt packages need a Debian-based host: /var/lib/dpkg/status was not found');
    const sources = mirrors.apt && mirrors.apt.length > 0 ? mirrors.apt : host.defaultSources;
    if (!sources) throw new Error('apt packages need an apt mirror on this host (longhand serve --package-mirror apt="deb …"): its distribution has no known default sources');
    commands.push(aptInstall(lists.apt, { home, sources, status: host.status }));
  }
  if (lists.pip) commands.push(pipInstall(lists.pip, { home, mirror: mirrors.pip }));
  if (lists.npm) commands.push(npmInstall(lists.npm, { home, mirror: mirrors.npm }));
  if (lists.gem) commands.push(gemInstall(lists.gem, { home, mirror: mirrors.gem }));
  if (lists.cargo) commands.push(cargoInstall(lists.cargo, { home, mirror: mirrors.cargo }));
  if (lists.go) commands.push(goInstall(lists.go, { home, mirror: mirrors.go }));
  return commands;
}
