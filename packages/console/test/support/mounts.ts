import { readFileSync } from 'node:fs';

/**
 * Mount points still mounted at or below `dir`. A runtime that closed must leave none: the
 * workspace endpoints mount views of sessions whose sandboxes are stopped, and closing unmounts
 * them (`OverlayWorkspaceStore.closeViews`); a leftover would keep the data directory busy.
 */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
}
