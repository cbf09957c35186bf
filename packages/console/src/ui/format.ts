import type { Money } from '@longhand/protocol';

/** `{amount:'1234', currency:'USD'}` (cents) as `$12.34`; small amounts keep their cents. */
export function formatMoney(money: Money | null | undefined): string {
  if (!money) return '$0.00';
  const cents = Number(money.amount);
  if (!Number.isFinite(cents)) return `${money.amount} ${money.currency}`;
  return `$${(cents / 100).toFixed(2)}`;
}

/** 1234567 → `1.2M`; 12345 → `12.3k`; 999 → `999`. */
export function formatCount(value: number | undefined): string {
  const n = value ?? 0;
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  if (n >= 10_000) return `${(n / 1000).toFixed(1)}k`;
  return n.toLocaleString('en-US');
}

/** Milliseconds as `850 ms`, `4.2 s`, `3 min 5 s`, `2 h 10 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes - hours * 60} min`;
  return `${Math.floor(hours / 24)} d`;
}

/** How long ago `iso` was, relative to `now`: `just now`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function formatAgo(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const then = Date.parse(iso);
  if (!Number.isFinite(then)) return '—';
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 10) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** An age without "ago": `45 s`, `12 min`, `3 h`, `9 d`. */
export function formatAge(iso: string | null | undefined, now: number): string {
  const ago = formatAgo(iso, now);
  return ago === 'just now' ? '< 10 s' : ago.replace(/ ago$/, '');
}

/** A timestamp for titles and tooltips, in the reader's locale. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** Bytes as `512 B`, `12.5 KB`, `3.1 MB`. */
export function formatBytes(bytes: number | undefined): string {
  const n = bytes ?? 0;
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GB`;
}

/** A session's primary thread id, derived as the server derives it (`sesn_X` → `sthr_X`). */
export function primaryThreadOf(sessionId: string): string {
  return `sthr_${sessionId.slice(sessionId.indexOf('_') + 1)}`;
}
