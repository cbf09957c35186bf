import type { Session, SessionEvent, SessionStatus } from '@longhand/protocol';
import type { ReactNode } from 'react';
import { CheckpointsTab } from './checkpoints-tab.js';
import { UsageChart } from './usage-chart.js';
import { WorkspaceBrowser } from './workspace-browser.js';

/** What a tab of the session page gets to render with. */
export interface SessionTabContext {
  session: Session;
  events: readonly SessionEvent[];
  /** The live status (from the last status event), fresher than `session.status`. */
  status: SessionStatus;
}

export interface SessionTab {
  /** The last path segment (`/sessions/{id}/{id}`); the timeline is the page's default. */
  id: string;
  label: string;
  render?: (context: SessionTabContext) => ReactNode;
}

/**
 * The tabs of a session page, in order. The timeline is rendered by the page itself (it holds
 * the composer and the pending actions). A new view is one more entry here with its own
 * component; nothing else on the page needs to change.
 */
export const SESSION_TABS: readonly SessionTab[] = [
  { id: 'timeline', label: 'Timeline' },
  { id: 'usage', label: 'Usage', render: ({ events }) => <UsageChart events={events} /> },
  { id: 'workspace', label: 'Workspace', render: ({ session }) => <WorkspaceBrowser sessionId={session.id} /> },
  { id: 'checkpoints', label: 'Checkpoints', render: ({ session, events, status }) => <CheckpointsTab session={session} events={events} status={status} /> },
];
