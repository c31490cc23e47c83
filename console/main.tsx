import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link, Route, Router, Switch } from 'wouter-preact';
import { useHashLocation } from 'wouter-preact/use-hash-location';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { ApiFailure, call, session, type Caller } from './api';
import { Notice } from './components';
import { ExecutionPage } from './views/execution';
import { AlertsPage } from './views/alerts';
import { FailuresPage } from './views/failures';
import { FleetPage } from './views/fleet';
import { JobPage } from './views/job';
import { JobsPage } from './views/jobs';

/** Who the page speaks for: known, being asked, or not yet signed in (with why). */
type Identity = { state: 'loading' } | { state: 'signed-in'; caller: Caller } | { state: 'signed-out'; why?: string };

function App() {
  const [identity, setIdentity] = useState<Identity>({ state: 'loading' });
  const check = () => {
    setIdentity({ state: 'loading' });
    call<{ caller: Caller }>('GET', '/identity').then(
      ({ caller }) => setIdentity({ state: 'signed-in', caller }),
      (err: unknown) => {
        const failure = err instanceof ApiFailure ? err : new ApiFailure(0, String(err));
        if (failure.status === 401 || failure.status === 403) {
          // a refused token is forgotten; none given yet is no failure to report
          const why = session.token() ? failure.message : undefined;
          session.signOut();
          setIdentity({ state: 'signed-out', why });
        } else setIdentity({ state: 'signed-out', why: failure.message });
      },
    );
  };
  useEffect(check, []);

  if (identity.state === 'loading') return <p class="page">Loading…</p>;
  if (identity.state === 'signed-out') return <SignIn why={identity.why} onSignedIn={check} />;
  const { caller } = identity;
  const signOut = () => {
    session.signOut();
    check();
  };
  return (
    <Router hook={useHashLocation}>
      <header class="top">
        <nav aria-label="Console">
          <span class="brand">Scheduler</span>
          <Link href="/">Jobs</Link>
          <Link href="/failures">Failures</Link>
          <Link href="/alerts">Alerts</Link>
          <Link href="/fleet">Fleet</Link>
        </nav>
        <span class="who">
          {caller.kind === 'admin' ? 'Admin' : 'Service'} <strong>{caller.name}</strong>
          {session.token() && (
            <button type="button" class="link-button" onClick={signOut}>
              Sign out
            </button>
          )}
        </span>
      </header>
      <main class="page">
        {/* keyed pages start afresh for another job or run: no state or answer of the previous one shows */}
        <Switch>
          <Route path="/">{() => <JobsPage caller={caller} />}</Route>
          <Route path="/jobs/:name">
            {(params) => <JobPage key={params.name} name={params.name} caller={caller} />}
          </Route>
          <Route path="/executions/:id">
            {(params) => <ExecutionPage key={params.id} id={params.id} caller={caller} />}
          </Route>
          <Route path="/failures">{() => <FailuresPage caller={caller} />}</Route>
          <Route path="/alerts">{() => <AlertsPage caller={caller} />}</Route>
          <Route path="/fleet">{() => <FleetPage caller={caller} />}</Route>
          <Route>
            <h1>Not found</h1>
            <p>
              This page does not exist. <Link href="/">See every job</Link>.
            </p>
          </Route>
        </Switch>
      </main>
    </Router>
  );
}

/** The token form: an admin token, a service's token or an admin JWT, kept in this tab's sessionStorage only. */
function SignIn({ why, onSignedIn }: { why?: string; onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  return (
    <main class="page narrow">
      <h1>Sign in to the scheduler</h1>
      {why && <Notice failure={new ApiFailure(401, why)} />}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!token.trim()) return;
          session.signIn(token);
          onSignedIn();
        }}
      >
        <label for="token">Token</label>
        <p id="token-help" class="muted">
          An admin token, your service's token, or an admin JWT (the portal's session token). It stays in this tab only
          and is sent to this scheduler's API, nowhere else.
        </p>
        <input
          id="token"
          type="password"
          autoComplete="off"
          aria-describedby="token-help"
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          required
        />
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}

render(<App />, document.getElementById('app')!);
