import { useState, type FormEvent } from 'react';
import { ApiError, describeError } from '../api/api-error.js';
import { ApiClient } from '../api/client.js';
import { saveKey } from '../state/key-store.js';

/**
 * Asks for an API key and checks it with one cheap call before keeping it: a wrong key is
 * told apart (the API answers 401) from a server that cannot be reached.
 */
export function SignIn({ notice, onSignedIn }: { notice?: string | undefined; onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const candidate = key.trim();
    if (!candidate) {
      setError('Enter an API key.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await new ApiClient({ apiKey: candidate }).get('/v1/agents', { limit: 1 });
      saveKey(candidate);
      onSignedIn(candidate);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.unauthorized
          ? 'That key was not accepted: the server answered 401 Unauthorized. Check the key and try again.'
          : describeError(failure),
      );
      setBusy(false);
    }
  };

  return (
    <main className="sign-in" id="main">
      <form className="panel form" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Longhand console</h1>
        <p>Sign in with an API key of this server. It is kept in this browser only.</p>
        {notice && !error && (
          <p className="form-note" role="status">
            {notice}
          </p>
        )}
        <div className={`field${error ? ' has-error' : ''}`}>
          <label htmlFor="api-key">API key</label>
          <input
            id="api-key"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={key}
            onChange={(event) => setKey(event.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'api-key-error api-key-hint' : 'api-key-hint'}
            autoFocus
          />
          <p className="hint" id="api-key-hint">
            <code>npx longhand keys create</code> makes one; the first start of <code>longhand serve</code> prints one.
          </p>
          {error && (
            <p className="field-error" id="api-key-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
