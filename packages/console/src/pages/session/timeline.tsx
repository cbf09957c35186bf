import { useCallback, useMemo, useRef } from 'react';
import type { FeedSnapshot } from '../../state/event-feed.js';
import { VirtualList } from '../../ui/virtual-list.js';
import { RowView } from './row-view.js';
import { buildRows, estimateRowHeight, type Row } from './timeline-rows.js';

/** True when two builds of a row show the same events (events are immutable objects). */
function sameRow(a: Row, b: Row): boolean {
  if (a.kind !== b.kind || a.ids.length !== b.ids.length) return false;
  for (let i = 0; i < a.ids.length; i += 1) if (a.ids[i] !== b.ids[i]) return false;
  switch (a.kind) {
    case 'tool': {
      const other = b as typeof a;
      return a.use === other.use && a.result === other.result && a.confirmation === other.confirmation;
    }
    case 'span':
      return a.start === (b as typeof a).start && a.end === (b as typeof a).end;
    case 'preview':
      return a.preview.text === (b as typeof a).preview.text;
    default:
      return a.event === (b as typeof a).event;
  }
}

/**
 * The live timeline of a session: the feed folded into rows and shown in a virtual list, so a
 * session of thousands of events scrolls as lightly as a short one. Rows that did not change
 * keep their identity across rebuilds, so only new or changed rows re-render.
 */
export function Timeline({
  snapshot,
  primaryThread,
  pendingIds,
  loading,
  followSignal,
}: {
  snapshot: FeedSnapshot;
  primaryThread: string;
  pendingIds: ReadonlySet<string>;
  loading: boolean;
  /** Bumped when the reader sends something: the list jumps to its end. */
  followSignal: number;
}) {
  const previous = useRef(new Map<string, Row>());
  const rows = useMemo(() => {
    const built = buildRows(snapshot.events, snapshot.previews, primaryThread);
    const next = new Map<string, Row>();
    const stable = built.map((row) => {
      const before = previous.current.get(row.key);
      const kept = before && sameRow(before, row) ? before : row;
      next.set(row.key, kept);
      return kept;
    });
    previous.current = next;
    return stable;
  }, [snapshot, primaryThread]);

  const itemKey = useCallback((index: number) => rows[index]!.key, [rows]);
  const estimate = useCallback((index: number) => estimateRowHeight(rows[index]!), [rows]);
  const itemProps = useCallback((index: number) => ({ 'data-kind': rows[index]!.kind, 'data-event-ids': rows[index]!.ids.join(' ') || undefined }), [rows]);
  const render = useCallback(
    (index: number) => {
      const row = rows[index]!;
      return <RowView row={row} pending={row.kind === 'tool' && pendingIds.has(row.key)} />;
    },
    [rows, pendingIds],
  );

  return (
    <VirtualList
      count={rows.length}
      itemKey={itemKey}
      estimateHeight={estimate}
      renderItem={render}
      itemProps={itemProps}
      label="Session timeline"
      followSignal={followSignal}
      busy={loading}
      empty={<p className="empty">{loading ? 'Loading the session’s events…' : 'No events yet. Send a message to start.'}</p>}
    />
  );
}
