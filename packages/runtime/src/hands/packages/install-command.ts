/**
 * One package manager's install, as the base-layer build runs it inside a sandbox: plain argv
 * (package names are separate entries, never part of a shell string), the variables it needs,
 * and how to tell that the manager is missing from the sandbox image. Each manager's builder
 * lives in its own `<manager>-install.ts`; `install-plan.ts` puts them in order.
 */
import type { PackageManager } from '../../environments/package-specifiers.js';

/** An install command, ready to run in the build sandbox. */
export interface InstallCommand {
  manager: PackageManager;
  /** Exits non-zero when the manager is not in the sandbox image. */
  probe: readonly string[];
  /** What to tell the user when `probe` fails: names the missing tool. */
  missing: string;
  /** The install itself. */
  argv: readonly string[];
  /** Variables set for it (values only, never evaluated by a shell). */
  env: Readonly<Record<string, string>>;
  /** Standard input (apt reads the host's package database from it). */
  stdin?: string;
}

/** Where a builder installs and what the operator configured for it. */
export interface InstallTarget {
  /** The home directory as the build sandbox (and every session's sandbox) sees it. */
  home: string;
  /** The operator's mirror for this manager, if any (a URL; see package-mirrors.ts). */
  mirror?: string | undefined;
}

/**
 * Scratch space inside the build sandbox: its `/tmp` is a tmpfs that is not part of the
 * checkpointed files, so caches and downloads there never end up in the base layer.
 */
export const SCRATCH = '/tmp/longhand-packages';
