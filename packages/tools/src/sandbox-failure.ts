/**
 * Turning what a sandbox call threw into a sentence for the model. The sandbox throws
 * `SandboxError`s with a code; anything else (a provider bug, a dead supervisor) is still reported
 * as text, because a tool never lets an exception escape.
 */

/** Reads the `code` of an error without depending on which class threw it. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Describes a failed file operation on `path` (as the model wrote it, so it recognises it).
 *
 * @example
 * describeFileFailure('read', 'src/a.ts', err) // "read: src/a.ts: no such file or directory"
 */
export function describeFileFailure(tool: string, path: string, err: unknown): string {
  switch (errorCode(err)) {
    case 'not_found':
      return `${tool}: ${path}: no such file or directory`;
    case 'is_directory':
      return `${tool}: ${path} is a directory, not a file`;
    case 'outside_workspace':
      return (
        `${tool}: ${path} is outside the files this sandbox may access. ` +
        'Paths must stay inside the workspace (/workspace); ".." and symbolic links may not lead out of it.'
      );
    case 'read_only':
      return `${tool}: ${path} is in a read-only location`;
    case 'unavailable':
    case 'closed':
      return `${tool}: the sandbox is not available right now (${errorMessage(err)})`;
    default:
      return `${tool}: ${path}: ${errorMessage(err)}`;
  }
}
