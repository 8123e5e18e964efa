/**
 * The admin key lives in sessionStorage only: it is gone when the tab closes, is never put
 * in a URL or a cookie, and is sent as a bearer token by api.ts.
 */
const KEY = 'switchboard.admin-key';
const listeners = new Set<() => void>();

export const getKey = (): string | null => sessionStorage.getItem(KEY);

export function setKey(key: string): void {
  sessionStorage.setItem(KEY, key);
  listeners.forEach((l) => l());
}

export function clearKey(): void {
  if (getKey() === null) return;
  sessionStorage.removeItem(KEY);
  listeners.forEach((l) => l());
}

/** Calls `fn` whenever the key is set or cleared; returns the unsubscribe function. */
export function onKeyChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
