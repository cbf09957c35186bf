import type { Session } from '@longhand/protocol';
import { ApiError } from '../../api/api-error.js';
import { Link } from '../../router/link.js';
import { useApi } from '../../state/api-context.js';
import { useResource } from '../../state/use-resource.js';

/**
 * The lineage of a fork, for the session header: a link to the parent (by its title once it is
 * loaded) and the checkpoint it was forked at. A parent deleted since is named by its id.
 */
export function ForkedFrom({ origin }: { origin: NonNullable<Session['forked_from']> }) {
  const { api } = useApi();
  const parent = useResource(() => api.sessions.get(origin.session_id), [origin.session_id]);
  const gone = parent.failure instanceof ApiError && parent.failure.notFound;
  return (
    <p className="forked-from">
      Forked from{' '}
      {gone ? (
        <span>
          a deleted session (<code>{origin.session_id}</code>)
        </span>
      ) : (
        <Link to={`/sessions/${origin.session_id}`}>{parent.data?.title || origin.session_id}</Link>
      )}{' '}
      at checkpoint <code>{origin.checkpoint_id}</code> (event #{origin.seq})
    </p>
  );
}
