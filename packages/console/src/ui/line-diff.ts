/** One row of a side-by-side diff: a line on the left, on the right, or both. */
export interface DiffRow {
  kind: 'same' | 'changed' | 'removed' | 'added';
  left?: { number: number; text: string };
  right?: { number: number; text: string };
}

/** Past this many cells the diff falls back to a plain line-by-line comparison. */
const MAX_CELLS = 4_000_000;

/**
 * A side-by-side line diff (longest common subsequence). Runs of removals next to runs of
 * additions are paired into `changed` rows, so an edited line sits beside its new version.
 */
export function diffLines(before: string, after: string): DiffRow[] {
  const a = before.split('\n');
  const b = after.split('\n');
  // Common head and tail need no table.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail += 1;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const ops: Array<'same' | 'removed' | 'added'> = [];
  if (midA.length * midB.length > MAX_CELLS) {
    ops.push(...midA.map(() => 'removed' as const), ...midB.map(() => 'added' as const));
  } else {
    const n = midA.length;
    const m = midB.length;
    const table = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i -= 1) {
      for (let j = m - 1; j >= 0; j -= 1) {
        table[i * (m + 1) + j] = midA[i] === midB[j] ? table[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(table[(i + 1) * (m + 1) + j]!, table[i * (m + 1) + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i] === midB[j]) {
        ops.push('same');
        i += 1;
        j += 1;
      } else if (j < m && (i >= n || table[i * (m + 1) + j + 1]! >= table[(i + 1) * (m + 1) + j]!)) {
        ops.push('added');
        j += 1;
      } else {
        ops.push('removed');
        i += 1;
      }
    }
  }
  const rows: DiffRow[] = [];
  for (let k = 0; k < head; k += 1) rows.push({ kind: 'same', left: { number: k + 1, text: a[k]! }, right: { number: k + 1, text: b[k]! } });
  let i = head;
  let j = head;
  let k = 0;
  while (k < ops.length) {
    if (ops[k] === 'same') {
      rows.push({ kind: 'same', left: { number: i + 1, text: a[i]! }, right: { number: j + 1, text: b[j]! } });
      i += 1;
      j += 1;
      k += 1;
      continue;
    }
    const removed: number[] = [];
    const added: number[] = [];
    while (k < ops.length && ops[k] !== 'same') {
      if (ops[k] === 'removed') removed.push(i++);
      else added.push(j++);
      k += 1;
    }
    for (let r = 0; r < Math.max(removed.length, added.length); r += 1) {
      const left = removed[r];
      const right = added[r];
      rows.push({
        kind: left !== undefined && right !== undefined ? 'changed' : left !== undefined ? 'removed' : 'added',
        ...(left !== undefined ? { left: { number: left + 1, text: a[left]! } } : {}),
        ...(right !== undefined ? { right: { number: right + 1, text: b[right]! } } : {}),
      });
    }
  }
  for (let t = 0; t < tail; t += 1) {
    const li = a.length - tail + t;
    const ri = b.length - tail + t;
    rows.push({ kind: 'same', left: { number: li + 1, text: a[li]! }, right: { number: ri + 1, text: b[ri]! } });
  }
  return rows;
}
