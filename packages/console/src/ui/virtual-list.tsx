import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';

export interface VirtualListProps {
  count: number;
  /** A stable key per item; measured heights are remembered by it. */
  itemKey: (index: number) => string;
  renderItem: (index: number) => ReactNode;
  /** A guess of an item's height before it is measured. */
  estimateHeight: (index: number) => number;
  label: string;
  busy?: boolean;
  /** Extra pixels rendered above and below the visible part. */
  overscanPx?: number;
  /** Extra attributes of each item's element (ids for tests and links). */
  itemProps?: (index: number) => Record<string, string | undefined>;
  /** Content shown when `count` is 0. */
  empty?: ReactNode;
  /** Changing this number jumps to the end and follows it again (after the reader sent something). */
  followSignal?: number;
}

/** The first index whose bottom edge is below `y`. */
function firstBelow(offsets: Float64Array, count: number, y: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid + 1]! <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A scrolling list that renders only the items near the visible part, for timelines of many
 * thousands of entries. Items keep their natural height: each rendered item is measured with a
 * ResizeObserver and unmeasured ones use an estimate. The list follows new items while the
 * reader is at the bottom, and holds its place when they scrolled up (a button jumps back).
 * It is the ARIA `feed` pattern: items are articles with their position in the set.
 */
export function VirtualList({ count, itemKey, renderItem, estimateHeight, label, busy, overscanPx = 800, itemProps, empty, followSignal }: VirtualListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const [viewport, setViewport] = useState({ top: 0, height: 600 });
  const [measured, setMeasured] = useState(0);
  const [following, setFollowing] = useState(true);
  const followingRef = useRef(true);
  const frame = useRef<number | undefined>(undefined);

  const offsets = useMemo(() => {
    const out = new Float64Array(count + 1);
    for (let i = 0; i < count; i += 1) out[i + 1] = out[i]! + (heights.current.get(itemKey(i)) ?? estimateHeight(i));
    return out;
    // `measured` is not read here: it changes whenever a height in `heights` does.
  }, [count, itemKey, estimateHeight, measured]);
  const total = offsets[count]!;
  const start = Math.max(0, firstBelow(offsets, count, viewport.top - overscanPx));
  const end = Math.min(count, firstBelow(offsets, count, viewport.top + viewport.height + overscanPx) + 1);

  const offsetsRef = useRef(offsets);
  offsetsRef.current = offsets;
  const keyIndex = useRef(new Map<string, number>());
  keyIndex.current = new Map();
  for (let i = start; i < end; i += 1) keyIndex.current.set(itemKey(i), i);

  const readViewport = useCallback(() => {
    frame.current = undefined;
    const el = scroller.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
    if (atBottom !== followingRef.current) {
      followingRef.current = atBottom;
      setFollowing(atBottom);
    }
    setViewport((old) => (old.top === el.scrollTop && old.height === el.clientHeight ? old : { top: el.scrollTop, height: el.clientHeight }));
  }, []);

  const onScroll = useCallback(() => {
    if (frame.current === undefined) frame.current = requestAnimationFrame(readViewport);
  }, [readViewport]);

  // One observer for every rendered item: a changed height re-lays the list out. An item that
  // grew or shrank above the visible part moves the scroll position by as much, so the text
  // being read stays put.
  const observer = useMemo(
    () =>
      typeof ResizeObserver === 'undefined'
        ? undefined
        : new ResizeObserver((entries) => {
            const el = scroller.current;
            let changed = false;
            let shift = 0;
            for (const entry of entries) {
              const target = entry.target as HTMLElement;
              const key = target.dataset.key;
              if (!key || !target.isConnected) continue;
              const height = target.offsetHeight;
              const before = heights.current.get(key);
              if (before === height) continue;
              heights.current.set(key, height);
              changed = true;
              const index = keyIndex.current.get(key);
              if (el && index !== undefined && !followingRef.current && offsetsRef.current[index + 1]! <= el.scrollTop) {
                shift += height - (before ?? height);
              }
            }
            if (!changed) return;
            if (el && shift !== 0) el.scrollTop += shift;
            setMeasured((n) => n + 1);
          }),
    [],
  );
  useEffect(() => () => observer?.disconnect(), [observer]);

  const observe = useCallback(
    (el: HTMLElement | null) => {
      if (!el || !observer) return undefined;
      observer.observe(el);
      return () => observer.unobserve(el);
    },
    [observer],
  );

  useEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const resize = new ResizeObserver(() => onScroll());
    resize.observe(el);
    return () => resize.disconnect();
  }, [onScroll]);

  // Follow the end while the reader is there.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && followingRef.current) el.scrollTop = el.scrollHeight;
  }, [total, count]);

  const follow = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    followingRef.current = true;
    setFollowing(true);
    el.scrollTop = el.scrollHeight;
  }, []);
  useEffect(() => {
    if (followSignal) follow();
  }, [followSignal, follow]);

  const jumpToEnd = () => {
    follow();
    scroller.current?.focus();
  };

  const items: ReactNode[] = [];
  for (let i = start; i < end; i += 1) {
    const key = itemKey(i);
    items.push(
      <article key={key} data-key={key} ref={observe} className="vlist-item" aria-posinset={i + 1} aria-setsize={count} {...itemProps?.(i)}>
        {renderItem(i)}
      </article>,
    );
  }

  return (
    <div className="vlist-frame">
      <div ref={scroller} className="vlist" role="feed" aria-label={label} aria-busy={busy ? true : undefined} tabIndex={0} onScroll={onScroll} data-count={count}>
        {count === 0 && empty}
        <div style={{ height: offsets[start] }} aria-hidden="true" />
        {items}
        <div style={{ height: total - offsets[end]! }} aria-hidden="true" />
      </div>
      {!following && count > 0 && (
        <button type="button" className="jump-latest" onClick={jumpToEnd}>
          Jump to latest ↓
        </button>
      )}
    </div>
  );
}
