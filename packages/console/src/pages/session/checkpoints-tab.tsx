import type { Checkpoint, Session, SessionEvent, SessionStatus } from '@longhand/protocol';
import { useEffect, useRef, useState } from 'react';
import { describeError } from '../../api/api-error.js';
import { Link } from '../../router/link.js';
import { useApi } from '../../state/api-context.js';
import { useResource } from '../../state/use-resource.js';
import { formatAgo, formatBytes, formatTime } from '../../ui/format.js';
import { useNow } from '../../ui/use-now.js';
import { ForkDialog, RestoreDialog } from './checkpoint-dialogs.js';
import { restoreBlocker, takenText, triggerLabel } from './checkpoint-text.js';

/** Checkpoints shown at first, and added by each "Show older checkpoints". */
const PAGE = 20;

type Notice = { kind: 'note'; text: string; timeline?: boolean } | { kind: 'error'; text: string };

/**
 * A session's checkpoints, newest first: what made each one, where it stands in the log, when,
 * and what it weighs; a button to take one now; and, on each, fork (a new session from it) and
 * restore (this session back to it). The list follows the session: it is read again when the
 * log grows (a turn's checkpoint is recorded just after the idle that ends the turn) and every
 * few seconds.
 */
export function CheckpointsTab({ session, events, status }: { session: Session; events: readonly SessionEvent[]; status: SessionStatus }) {
  const { api } = useApi();
  const now = useNow();
  // Kept outside the resource's deps: showing more must not blank the list while it loads.
  const count = useRef(PAGE);
  const list = useResource(() => api.checkpoints.newest(session.id, count.current), [session.id], { pollMs: 5000 });
  const [taking, setTaking] = useState(false);
  const [notice, setNotice] = useState<Notice | undefined>();
  const [forking, setForking] = useState<Checkpoint | undefined>();
  const [restoring, setRestoring] = useState<Checkpoint | undefined>();
  const blocker = restoreBlocker(status, Boolean(session.archived_at));

  const lastEvent = events[events.length - 1]?.id;
  useEffect(() => {
    const timer = setTimeout(() => void list.reload(), 400);
    return () => clearTimeout(timer);
  }, [lastEvent, list.reload]);

  const take = async () => {
    setTaking(true);
    setNotice(undefined);
    try {
      const taken = await api.checkpoints.take(session.id);
      setNotice({ kind: 'note', text: takenText(taken, list.data?.data ?? []) });
      await list.reload();
    } catch (error) {
      setNotice({ kind: 'error', text: describeError(error) });
    } finally {
      setTaking(false);
    }
  };

  const showOlder = () => {
    count.current += PAGE;
    void list.reload();
  };

  const checkpoints = list.data?.data ?? [];
  return (
    <div className="checkpoints">
      <div className="tab-head">
        <p className="muted">
          A checkpoint holds the session's files and its place in the log together. One is taken at the end of every turn; fork a new session from any of
          them, or restore this one to it.
        </p>
        <button type="button" className="primary" onClick={() => void take()} disabled={taking || Boolean(session.archived_at)}>
          {taking ? 'Taking…' : 'Take checkpoint'}
        </button>
      </div>
      {notice && (
        <p className={notice.kind === 'error' ? 'form-error' : 'form-note'} role={notice.kind === 'error' ? 'alert' : 'status'}>
          {notice.text}
          {notice.kind === 'note' && notice.timeline && (
            <>
              {' '}
              <Link to={`/sessions/${session.id}`}>See it in the timeline</Link>.
            </>
          )}
        </p>
      )}
      {blocker && checkpoints.length > 0 && (
        <p className="form-note" id="restore-blocked">
          {blocker}
        </p>
      )}
      {list.error && <p className="form-error" role="alert">{list.error}</p>}
      {!list.data && !list.error && <p className="muted">Loading…</p>}
      {list.data && checkpoints.length === 0 && <p className="empty">No checkpoints yet: the first is taken when the first turn ends.</p>}
      {checkpoints.length > 0 && (
        <table className="list checkpoints-table">
          <caption className="visually-hidden">Checkpoints of this session, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Checkpoint</th>
              <th scope="col">Made at</th>
              <th scope="col">Taken</th>
              <th scope="col" title="What the workspace's files take in storage at this checkpoint">Size</th>
              <th scope="col" title="What this checkpoint added to storage (unchanged files are kept once)">Added</th>
              <th scope="col"><span className="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {checkpoints.map((checkpoint, i) => (
              <tr key={checkpoint.id} data-checkpoint-id={checkpoint.id}>
                {/* One child per cell: on a phone each cell is a flex row of its label and its value. */}
                <td data-label="Checkpoint">
                  <span>
                    <code>{checkpoint.id}</code>
                    {i === 0 && <span className="chip state-info">latest</span>}
                  </span>
                </td>
                <td data-label="Made at">
                  <span>
                    <span className={`chip trigger-${checkpoint.trigger}`}>{triggerLabel(checkpoint.trigger)}</span> event #{checkpoint.seq}
                  </span>
                </td>
                <td data-label="Taken" title={formatTime(checkpoint.created_at)}>
                  {formatAgo(checkpoint.created_at, now)}
                </td>
                <td data-label="Size">{formatBytes(checkpoint.size_bytes)}</td>
                <td data-label="Added">{formatBytes(checkpoint.added_bytes)}</td>
                <td className="row-actions">
                  <button type="button" aria-label={`Fork from checkpoint ${checkpoint.id}`} onClick={() => setForking(checkpoint)}>
                    Fork
                  </button>
                  <button
                    type="button"
                    aria-label={`Restore to checkpoint ${checkpoint.id}`}
                    aria-describedby={blocker ? 'restore-blocked' : undefined}
                    disabled={blocker !== undefined}
                    onClick={() => setRestoring(checkpoint)}
                  >
                    Restore
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.data?.more && (
        <p>
          <button type="button" onClick={showOlder} disabled={list.loading}>
            Show older checkpoints
          </button>
        </p>
      )}
      <ForkDialog session={session} checkpoint={forking} onClose={() => setForking(undefined)} />
      <RestoreDialog
        sessionId={session.id}
        checkpoint={restoring}
        blocker={blocker}
        onClose={() => setRestoring(undefined)}
        onRestored={(checkpoint) => {
          setRestoring(undefined);
          setNotice({ kind: 'note', text: `Restored to checkpoint ${checkpoint.id} (event #${checkpoint.seq}).`, timeline: true });
          void list.reload();
        }}
      />
    </div>
  );
}
