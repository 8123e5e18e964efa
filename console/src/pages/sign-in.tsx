/** Sign-in with an admin key: checked with GET /v1/me, kept in sessionStorage only. */
import { useState } from 'preact/hooks';
import { ApiError, api } from '../lib/api.js';
import { clearKey, setKey } from '../lib/key-storage.js';

export function SignIn() {
  const [key, setKeyText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    sessionStorage.setItem('switchboard.admin-key', key.trim());
    try {
      await api.get('/v1/me');
      setKey(key.trim());
    } catch (err) {
      clearKey();
      setError(err instanceof ApiError && err.status === 401 ? 'This key is not valid or was revoked.' : (err as Error).message);
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Switchboard console</h1>
      <form onSubmit={submit} aria-describedby="key-help">
        <label for="admin-key">Admin key</label>
        <input id="admin-key" name="admin-key" type="password" autocomplete="off" required value={key} onInput={(e) => setKeyText((e.target as HTMLInputElement).value)} />
        <p id="key-help" class="hint">
          Starts with <code>sba_</code>. It stays in this tab only (sessionStorage) and is sent as a bearer token. A first key: <code>npm run cli -- init</code>.
        </p>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy || key.trim() === ''}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
