import { useState } from 'preact/hooks';
import { ApiError, call, signIn } from '../api';
import { ErrorNote } from '../components';
import { type SessionInfo, session } from '../session';

/** Sign in (OAuth2 password grant at /token), or create an account where self-registration is on. */
export function SignIn({ notice, onSignedIn }: { notice?: string; onSignedIn: (s: SessionInfo) => void }) {
  const [mode, setMode] = useState<'signin' | 'signup'>('signin');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [info, setInfo] = useState<string>();

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const username = String(form.get('username') ?? '');
    const password = String(form.get('password') ?? '');
    setBusy(true);
    setError(undefined);
    setInfo(undefined);
    try {
      if (mode === 'signup') {
        await call((api) => api.POST('/users', { body: { username, password } }));
      }
      const token = await signIn(username, password);
      onSignedIn(session.save(token.access_token));
    } catch (e) {
      if (e instanceof ApiError && e.code === 'REGISTRATION_DISABLED') {
        setMode('signin');
        setInfo('Self-registration is off here: ask an admin to create your account, then sign in.');
      } else if (e instanceof ApiError && e.code === 'INVALID_CREDENTIALS') {
        setError(new ApiError(401, e.code, 'Wrong username or password.', [], e.requestId));
      } else {
        setError(e);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card signin" aria-labelledby="signin-h">
      <h1 id="signin-h">{mode === 'signin' ? 'Sign in' : 'Create an account'}</h1>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {info && (
        <p class="notice" role="status">
          {info}
        </p>
      )}
      <form onSubmit={submit}>
        <label>
          Username
          <input name="username" autoComplete="username" required minLength={1} maxLength={64} />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === 'signin' ? 'current-password' : 'new-password'}
            required
            minLength={mode === 'signup' ? 12 : 1}
          />
        </label>
        {error !== undefined && <SignInError error={error} />}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : mode === 'signin' ? 'Sign in' : 'Create account and sign in'}
        </button>
      </form>
      <p>
        {mode === 'signin' ? 'No account yet? ' : 'Have an account? '}
        <button type="button" class="link" onClick={() => setMode(mode === 'signin' ? 'signup' : 'signin')}>
          {mode === 'signin' ? 'Create one' : 'Sign in'}
        </button>
      </p>
    </section>
  );
}

/** 401 here means wrong credentials (ErrorNote hides 401s, which elsewhere mean "session expired"). */
function SignInError({ error }: { error: unknown }) {
  if (error instanceof ApiError && error.status === 401) {
    return (
      <div class="error" role="alert">
        <p>
          <strong>{error.message}</strong>
        </p>
        <p>Check both and try again; after several failures the account is locked for a while.</p>
      </div>
    );
  }
  return <ErrorNote error={error} />;
}
