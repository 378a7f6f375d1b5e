import { useEffect, useRef, useState } from 'preact/hooks';
import { onSessionExpired } from './api';
import { ComparePage } from './pages/compare';
import { HealthPage } from './pages/health';
import { ModelPage, ModelsPage } from './pages/models';
import { PredictPage } from './pages/predict';
import { RunPage } from './pages/run';
import { RunsPage } from './pages/runs';
import { SignIn } from './pages/signin';
import { TrainPage } from './pages/train';
import { type Route, useRoute } from './router';
import { type SessionInfo, session } from './session';

const PAGES = [
  { page: 'predict', label: 'Predict', admin: false },
  { page: 'models', label: 'Models', admin: true },
  { page: 'runs', label: 'Runs', admin: true },
  { page: 'train', label: 'Train', admin: true },
  { page: 'health', label: 'Health', admin: false },
] as const;

export function App() {
  const [user, setUser] = useState<SessionInfo | undefined>(session.current);
  const [notice, setNotice] = useState<string>();
  const route = useRoute();

  useEffect(() => {
    // Expired mid-session: back to sign-in; the hash (the page) stays, so signing in returns there.
    onSessionExpired(() => {
      setUser(undefined);
      setNotice('Your session expired. Sign in again to continue where you were.');
    });
  }, []);

  const firstRoute = useRef(true);
  useEffect(() => {
    const page = PAGES.find((p) => p.page === route.page);
    document.title = `${page?.label ?? pageTitle(route)} · MLOps console`;
    // A new page: move focus to it (as a full page load would), so keyboard and screen-reader users start there.
    if (!firstRoute.current) document.getElementById('main')?.focus();
    firstRoute.current = false;
  }, [route]);

  if (!user) {
    return (
      <main id="main" class="signin-page">
        <SignIn
          notice={notice}
          onSignedIn={(info) => {
            setNotice(undefined);
            setUser(info);
          }}
        />
      </main>
    );
  }
  const isAdmin = user.role === 'admin';
  return (
    <>
      <button type="button" class="skip" onClick={skipToMain}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">MLOps console</span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.filter((p) => isAdmin || !p.admin).map((p) => (
              <li key={p.page}>
                <a href={`#/${p.page}`} aria-current={section(route) === p.page ? 'page' : undefined}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {user.username} ({user.role}){' '}
          <button
            type="button"
            onClick={() => {
              session.clear();
              setNotice('Signed out.');
              setUser(undefined);
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} isAdmin={isAdmin} />
      </main>
    </>
  );
}

function skipToMain() {
  document.getElementById('main')?.focus();
}

const section = (route: Route) =>
  route.page === 'compare' ? 'runs' : route.page === 'run' ? 'runs' : route.page;

const pageTitle = (route: Route) => `${route.page} ${route.params.join(' ')}`.trim();

function Page({ route, isAdmin }: { route: Route; isAdmin: boolean }) {
  const adminOnly = (node: preact.JSX.Element) =>
    isAdmin ? (
      node
    ) : (
      <div class="error" role="alert">
        <p>
          <strong>This page needs the admin role.</strong>
        </p>
        <p>Sign in as an admin to see it; Predict and Health are open to every user.</p>
      </div>
    );
  switch (route.page) {
    case 'predict':
      return <PredictPage />;
    case 'models':
      return adminOnly(route.params[0] ? <ModelPage name={route.params[0]} /> : <ModelsPage />);
    case 'runs':
      return adminOnly(<RunsPage query={route.query} />);
    case 'run':
      return adminOnly(<RunPage id={route.params[0] ?? ''} />);
    case 'compare':
      return adminOnly(<ComparePage ids={(route.params[0] ?? '').split(',').filter(Boolean)} />);
    case 'train':
      return adminOnly(<TrainPage />);
    case 'health':
      return <HealthPage isAdmin={isAdmin} />;
    default:
      return (
        <div class="error" role="alert">
          <p>
            <strong>No page "{route.page}".</strong>
          </p>
          <p>
            Go to <a href="#/predict">Predict</a>.
          </p>
        </div>
      );
  }
}
