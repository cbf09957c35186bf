import type { Agent } from '@longhand/protocol';
import { useMemo, useState } from 'react';
import { formatTime } from '../../ui/format.js';
import { diffLines, type DiffRow } from '../../ui/line-diff.js';

/** Unchanged lines kept around each change; longer unchanged runs fold away. */
const CONTEXT = 3;

type Item = { row: DiffRow } | { fold: number; rows: DiffRow[] };

/** Folds the middle of long runs of unchanged rows, keeping `CONTEXT` lines beside each change. */
function withFolds(rows: DiffRow[]): Item[] {
  const items: Item[] = [];
  let i = 0;
  while (i < rows.length) {
    if (rows[i]!.kind !== 'same') {
      items.push({ row: rows[i]! });
      i += 1;
      continue;
    }
    let end = i;
    while (end < rows.length && rows[end]!.kind === 'same') end += 1;
    const keepBefore = i === 0 ? 0 : CONTEXT;
    const keepAfter = end === rows.length ? 0 : CONTEXT;
    if (end - i > keepBefore + keepAfter + 1) {
      for (let k = i; k < i + keepBefore; k += 1) items.push({ row: rows[k]! });
      items.push({ fold: i, rows: rows.slice(i + keepBefore, end - keepAfter) });
      for (let k = end - keepAfter; k < end; k += 1) items.push({ row: rows[k]! });
    } else for (let k = i; k < end; k += 1) items.push({ row: rows[k]! });
    i = end;
  }
  return items;
}

/** The configuration of a version, without the fields every version has different. */
function configText(agent: Agent): string {
  const { name, description, model, system, tools, mcp_servers, skills, multiagent, execution_identity, metadata } = agent;
  return JSON.stringify({ name, description, model, system, tools, mcp_servers, skills, multiagent, execution_identity, metadata }, null, 2);
}

/** Two versions of an agent side by side, changed lines marked on both sides. */
export function VersionDiff({ before, after }: { before: Agent; after: Agent }) {
  const rows = useMemo(() => diffLines(configText(before), configText(after)), [before, after]);
  const changes = rows.filter((row) => row.kind !== 'same').length;
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const items = useMemo(() => withFolds(rows), [rows]);
  const line = (row: DiffRow, key: string | number) => (
    <tr key={key} className={`diff-${row.kind}`}>
      <td className="line-number">{row.left?.number ?? ''}</td>
      <td className={`diff-cell${row.kind === 'removed' || row.kind === 'changed' ? ' old' : ''}`}>
        {row.left && (row.kind === 'removed' || row.kind === 'changed') && <span className="visually-hidden">removed: </span>}
        <code>{row.left?.text ?? ''}</code>
      </td>
      <td className="line-number">{row.right?.number ?? ''}</td>
      <td className={`diff-cell${row.kind === 'added' || row.kind === 'changed' ? ' new' : ''}`}>
        {row.right && (row.kind === 'added' || row.kind === 'changed') && <span className="visually-hidden">added: </span>}
        <code>{row.right?.text ?? ''}</code>
      </td>
    </tr>
  );
  return (
    <div className="diff" role="region" aria-label={`Differences between version ${before.version} and version ${after.version}`}>
      <p className="muted" aria-live="polite">
        {changes === 0 ? 'These versions have the same configuration.' : `${changes} line${changes === 1 ? '' : 's'} differ.`}
      </p>
      <table className="diff-table">
        <thead>
          <tr>
            <th scope="col" colSpan={2}>
              Version {before.version} <span className="muted">{formatTime(before.updated_at)}</span>
            </th>
            <th scope="col" colSpan={2}>
              Version {after.version} <span className="muted">{formatTime(after.updated_at)}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((item, i) => {
            if ('row' in item) return line(item.row, i);
            if (open.has(item.fold)) return item.rows.map((row, k) => line(row, `${i}.${k}`));
            return (
              <tr key={i} className="diff-fold">
                <td colSpan={4}>
                  <button type="button" className="link-button" onClick={() => setOpen(new Set([...open, item.fold]))}>
                    Show {item.rows.length} unchanged lines
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
