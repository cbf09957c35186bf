/** A session status as a coloured label; the text carries the meaning, the colour only helps. */
export function StatusBadge({ status, archived }: { status: string; archived?: boolean }) {
  return (
    <span className={`badge status-${status}`} data-status={status}>
      {status}
      {archived ? ' · archived' : ''}
    </span>
  );
}
