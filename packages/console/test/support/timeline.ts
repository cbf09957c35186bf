import type { SessionEvent } from '@longhand/protocol';
import type { Page } from 'playwright-core';

/** One row of the timeline as the page shows it. */
export interface ShownRow {
  position: number;
  kind: string;
  ids: string[];
  text: string;
}

/**
 * Every row of the (virtualised) timeline, read by scrolling it from top to bottom and noting
 * each article's position in the set, its kind and the event ids it shows.
 */
export async function readTimeline(page: Page): Promise<{ rows: ShownRow[]; setSize: number }> {
  return page.evaluate(async () => {
    const feed = document.querySelector<HTMLElement>('[role="feed"]');
    if (!feed) throw new Error('no timeline on the page');
    const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const seen = new Map<number, { position: number; kind: string; ids: string[]; text: string }>();
    let setSize = 0;
    feed.scrollTop = 0;
    await frame();
    for (let guard = 0; guard < 10_000; guard += 1) {
      for (const article of feed.querySelectorAll<HTMLElement>('article[aria-posinset]')) {
        const position = Number(article.getAttribute('aria-posinset'));
        setSize = Number(article.getAttribute('aria-setsize'));
        seen.set(position, {
          position,
          kind: article.dataset.kind ?? '',
          ids: (article.dataset.eventIds ?? '').split(' ').filter(Boolean),
          text: (article.textContent ?? '').slice(0, 200),
        });
      }
      if (feed.scrollTop + feed.clientHeight >= feed.scrollHeight - 2) break;
      feed.scrollTop += Math.max(50, feed.clientHeight * 0.8);
      await frame();
    }
    return { rows: [...seen.values()].sort((a, b) => a.position - b.position), setSize };
  });
}

/** The ids the timeline must show: all of history but session usage and primary-thread status. */
export function expectedIds(history: SessionEvent[], sessionId: string): string[] {
  const primary = `sthr_${sessionId.slice(sessionId.indexOf('_') + 1)}`;
  return history
    .filter((event) => event.type !== 'session.usage')
    .filter((event) => !(event.type.startsWith('session.thread_status_') && (event as { session_thread_id?: string }).session_thread_id === primary))
    .map((event) => event.id);
}
