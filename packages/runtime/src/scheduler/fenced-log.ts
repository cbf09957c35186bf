import { newId } from '@longhand/protocol';
import { isLeaseLost, type EventDraft, type EventLog } from '@longhand/store';

/**
 * The event log as the harness should see it: every fenced append that the store refuses
 * because the lease was lost is reported, with the ids of the events it would have written.
 * A process that was paused or cut off and wakes up after its sessions moved on tries to write
 * exactly such appends; the report lets operators (and the scale test) see that none of them
 * got in. Ids the harness left blank are filled in here, as the store would have.
 */
export function reportingFencedAppends(log: EventLog, report: (message: string) => void): EventLog {
  return {
    append: async (sessionId, drafts, options = {}) => {
      if (!options.fence) return log.append(sessionId, drafts, options);
      const named: EventDraft[] = drafts.map((draft) => ('processed' in draft || draft.id ? draft : { ...draft, id: newId('event') }));
      try {
        return await log.append(sessionId, named, options);
      } catch (error) {
        if (isLeaseLost(error)) {
          const ids = named.map((draft) => ('processed' in draft ? `processed:${draft.processed}` : draft.id));
          report(
            `fenced out: session ${sessionId} lease token ${options.fence.token} of ${options.fence.holder} is no longer current; ` +
              `rejected an append of ${named.length} event(s): ${ids.join(',') || '(none)'}`,
          );
        }
        throw error;
      }
    },
    read: (sessionId, query) => log.read(sessionId, query),
    findById: (sessionId, eventId) => log.findById(sessionId, eventId),
    findByRef: (sessionId, refId) => log.findByRef(sessionId, refId),
    headSeq: (sessionId) => log.headSeq(sessionId),
    copyPrefix: (sourceId, targetId, throughSeq) => log.copyPrefix(sourceId, targetId, throughSeq),
    load: (sessionId, events) => log.load(sessionId, events),
    subscribe: (sessionId, afterSeq, listener) => log.subscribe(sessionId, afterSeq, listener),
  };
}
