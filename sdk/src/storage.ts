import type { Storage } from './types.js';

/** A Storage held in memory: nothing survives the process or page. */
export function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, String(v)),
    removeItem: (k) => void m.delete(k),
  };
}

/** `localStorage` when it exists and accepts writes (not in private modes that throw), else memory. */
export function defaultStorage(): Storage {
  try {
    const ls = (globalThis as { localStorage?: Storage }).localStorage;
    if (ls) {
      ls.setItem('sb:probe', '1');
      ls.removeItem('sb:probe');
      return ls;
    }
  } catch {
    // storage disabled: fall through
  }
  return memoryStorage();
}

/** JSON values under one prefix; never throws (a quota error or corrupt value is reported to `fail`). */
export interface Kv {
  get<T>(name: string): T | undefined;
  set(name: string, value: unknown): void;
  del(name: string): void;
}

export function createKv(storage: Storage, prefix: string, fail: (where: string, err: unknown) => void): Kv {
  return {
    get<T>(name: string): T | undefined {
      try {
        const raw = storage.getItem(prefix + name);
        return raw == null ? undefined : (JSON.parse(raw) as T);
      } catch (err) {
        fail('storage.get', err);
        return undefined;
      }
    },
    set(name, value) {
      try {
        storage.setItem(prefix + name, JSON.stringify(value));
      } catch (err) {
        fail('storage.set', err);
      }
    },
    del(name) {
      try {
        storage.removeItem(prefix + name);
      } catch (err) {
        fail('storage.del', err);
      }
    },
  };
}
