import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { AgentForm } from './pages/agents/agent-form.js';
import { AgentPage } from './pages/agents/agent-page.js';
import { AgentsPage } from './pages/agents/agents-page.js';
import { EnvironmentEditPage, EnvironmentsPage } from './pages/environments/environments-page.js';
import { SessionPage } from './pages/session/session-page.js';
import { SessionsPage } from './pages/sessions/sessions-page.js';
import { SignIn } from './pages/sign-in.js';
import { Link } from './router/link.js';
import { match, useLocation } from './router/router.js';
import { ApiProvider, useApi } from './state/api-context.js';
import { clearKey, loadKey } from './state/key-store.js';

interface Route {
  pattern: string;
  title: string;
  section: string;
  render: (params: Record<string, string>) => ReactNode;
}

/** Every page, first match wins. */
const ROUTES: Route[] = [
  { pattern: '/', title: 'Sessions', section: 'sessions', render: () => <SessionsPage /> },
  { pattern: '/sessions', title: 'Sessions', section: 'sessions', render: () => <SessionsPage /> },
  { pattern: '/sessions/:id/:tab?', title: 'Session', section: 'sessions', render: (p) => <SessionPage key={p.id} id={p.id!} tab={p.tab ?? 'timeline'} /> },
  { pattern: '/agents', title: 'Agents', section: 'agents', render: () => <AgentsPage /> },
  {
    pattern: '/agents/new',
    title: 'New agent',
    section: 'agents',
    render: () => (
      <main className="page" id="main">
        <p className="breadcrumb"><Link to="/agents">Agents</Link></p>
        <h1>New agent</h1>
        <AgentForm />
      </main>
    ),
  },
  { pattern: '/agents/:id/edit', title: 'Edit agent', section: 'agents', render: (p) => <AgentPage key={`${p.id}-edit`} id={p.id!} editing /> },
  { pattern: '/agents/:id', title: 'Agent', section: 'agents', render: (p) => <AgentPage key={p.id} id={p.id!} editing={false} /> },
  { pattern: '/environments', title: 'Environments', section: 'environments', render: () => <EnvironmentsPage /> },
  { pattern: '/environments/new', title: 'New environment', section: 'environments', render: () => <EnvironmentEditPage /> },
  { pattern: '/environments/:id', title: 'Environment', section: 'environments', render: (p) => <EnvironmentEditPage key={p.id} id={p.id!} /> },
];

const SECTIONS = [
  { id: 'sessions', label: 'Sessions', to: '/sessions' },
  { id: 'agents', label: 'Agents', to: '/agents' },
  { id: 'environments', label: 'Environments', to: '/environments' },
];

function Shell() {
  const { signOut } = useApi();
  const { path } = useLocation();
  let params: Record<string, string> | undefined;
  const route = ROUTES.find((candidate) => (params = match(candidate.pattern, path)) !== undefined);
  const first = useRef(true);

  useEffect(() => {
    document.title = `${route?.title ?? 'Not found'} · Longhand`;
    // After a navigation, put focus on the new page's heading so screen readers announce it.
    if (first.current) {
      first.current = false;
      return;
    }
    const heading = document.querySelector<HTMLElement>('main h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }, [path, route?.title]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/sessions" className="brand">
          Longhand
        </Link>
        <nav aria-label="Main">
          {SECTIONS.map((section) => (
            <Link key={section.id} to={section.to} aria-current={route?.section === section.id ? 'page' : undefined}>
              {section.label}
            </Link>
          ))}
        </nav>
        <button type="button" className="sign-out" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      {route ? (
        route.render(params ?? {})
      ) : (
        <main className="page" id="main">
          <h1>Page not found</h1>
          <p>
            Nothing lives at <code>{path}</code>. <Link to="/sessions">Go to sessions</Link>.
          </p>
        </main>
      )}
    </>
  );
}

/** The console: the sign-in page until a key is known, then the pages of the API. */
export function App() {
  const [apiKey, setApiKey] = useState(loadKey);
  const [notice, setNotice] = useState<string | undefined>();
  const signOut = useCallback((reason?: string) => {
    clearKey();
    setApiKey(undefined);
    setNotice(reason);
  }, []);
  if (!apiKey) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(key) => {
          setNotice(undefined);
          setApiKey(key);
        }}
      />
    );
  }
  return (
    <ApiProvider apiKey={apiKey} signOut={signOut}>
      <Shell />
    </ApiProvider>
  );
}
