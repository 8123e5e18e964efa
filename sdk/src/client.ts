/**
 * `createClient(token, options)`: the SDK (PRODUCT.md 11). One handshake gives every flag,
 * config and survey; lookups are synchronous Map reads; tracking goes through a persistent
 * queue. No method throws into the app or rejects: a failure returns the caller's default
 * and is recorded (`stats().lastError`, `onError`).
 */
import { createDecisions } from './decisions.js';
import { createStream } from './stream.js';
import { createIdentity } from './identity.js';
import { badId, isObject, uuid } from './ids.js';
import { engageBody, jsonCopy, type PeopleOp } from './people.js';
import { createQueue } from './queue.js';
import { createKv, defaultStorage } from './storage.js';
import { createSurveys } from './surveys.js';
import { createPost } from './transport.js';
import type { ClientOptions, Decision, ErrorCode, People, Stats, Status, Storage, SwitchboardClient } from './types.js';
import { createTracker } from './tracker.js';

const num = (v: unknown, d: number, min: number, max: number) => (typeof v === 'number' && v >= min && v <= max ? Math.floor(v) : d);
const isStorage = (s: unknown): s is Storage => isObject(s) && ['getItem', 'setItem', 'removeItem'].every((m) => typeof s[m] === 'function');
const sleep = (ms: number) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    (t as { unref?: () => void }).unref?.();
  });

export function createClient(token: string, options?: ClientOptions): SwitchboardClient {
  const o: ClientOptions = isObject(options) ? options : {};
  const stats: Stats = { status: 'loading', queued: 0, sent: 0, dropped: 0, rejected: 0, retries: 0, errors: 0, lastError: null, lastHandshakeAt: null };
  const fail = (where: string, err: unknown) => {
    let message = 'unknown error';
    try {
      message = err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err);
    } catch {
      // unprintable
    }
    stats.errors++;
    stats.lastError = { at: Date.now(), where, message };
    try {
      o.onError?.({ where, message });
    } catch {
      // the app's handler failed: nothing more to do
    }
  };
  const tok = typeof token === 'string' ? token : '';
  if (!tok) fail('createClient', 'token must be a non-empty string');
  const timeoutMs = num(o.timeoutMs, 3000, 1, 600_000);
  const kv = createKv(isStorage(o.storage) ? o.storage : defaultStorage(), `sb:${tok}:`, fail);
  const fetchFn = typeof o.fetch === 'function' ? o.fetch : typeof fetch === 'function' ? fetch.bind(globalThis) : undefined;
  const post = createPost(typeof o.host === 'string' ? o.host : '', tok, fetchFn, timeoutMs);
  const boot = isObject(o.bootstrap) ? o.bootstrap : undefined;
  const given = (v: unknown) => (badId(v) === null ? (v as string) : undefined);
  const identity = createIdentity(kv, { distinctId: given(boot?.distinct_id) ?? given(o.distinctId), anonymousId: given(o.anonymousId) });
  let props: Record<string, unknown> | undefined;
  try {
    props = isObject(o.personProperties) ? jsonCopy(o.personProperties) : undefined;
  } catch (err) {
    fail('personProperties', err);
  }

  const changeListeners = new Set<(keys: string[]) => void>();
  const statusListeners = new Set<(s: Status) => void>();
  const emit = <T>(set: Set<(x: T) => void>, x: T) => {
    for (const l of set) {
      try {
        l(x);
      } catch (err) {
        fail('listener', err);
      }
    }
  };
  // Read-your-writes: the token of the client's latest delivered write, sent as `min_token` on
  // handshakes until one answers caught up (then the server has shown every write of ours).
  let minToken: string | null = null;
  const decisions = createDecisions({ kv, post, fail, onStatus: (s) => emit(statusListeners, s), onChange: (k) => emit(changeListeners, k) });
  const surveys = createSurveys({ kv, list: decisions.surveys, onSurvey: typeof o.onSurvey === 'function' ? o.onSurvey : undefined, fail });
  const queue = createQueue({
    kv, post, stats, fail,
    maxQueue: num(o.maxQueue, 1000, 1, 100_000),
    batchSize: num(o.batchSize, 100, 1, 1000),
    flushIntervalMs: num(o.flushIntervalMs, 1000, 0, 3_600_000),
    retryBaseMs: num(o.retryBaseMs, 500, 1, 60_000),
    onToken: (token) => {
      minToken = token;
    },
  });
  const here = () => (globalThis as { location?: { href?: string } }).location?.href;

  const who = () => JSON.stringify([identity.handshake(), props ?? null]);
  let chain: Promise<void> = Promise.resolve();
  let queued: Promise<void> | null = null;
  /** One handshake, carrying the latest write's token; a server refusing the token (400) is asked again without it. */
  const handshake = async (): Promise<void> => {
    const sent = minToken;
    const body = (token: string | null) => ({ ...identity.handshake(), ...(props ? { person_properties: props } : {}), ...(token ? { min_token: token } : {}) });
    const caughtUp = await decisions.refresh(body(sent), who());
    if (caughtUp === 'refused' && sent) {
      if (minToken === sent) minToken = null;
      await decisions.refresh(body(null), who());
    } else if (caughtUp === true && minToken === sent) minToken = null;
  };
  /** Serial handshakes; calls made while one waits to start share it. */
  const refresh = (): Promise<void> => {
    if (queued) return queued;
    const p = chain
      .then(() => {
        queued = null;
        return handshake();
      })
      .then(() => surveys.trigger(undefined, here()))
      .catch((err) => fail('refresh', err));
    queued = chain = p;
    return p;
  };

  if (boot) {
    try {
      decisions.bootstrap(boot);
    } catch (err) {
      fail('bootstrap', err);
    }
  } else decisions.load(who());
  const first = refresh();
  const readyP: Promise<void> = boot ? Promise.resolve() : Promise.race([first, sleep(timeoutMs)]);
  const refreshMs = o.refreshIntervalMs === 0 ? 0 : num(o.refreshIntervalMs, 300_000, 1000, 86_400_000);
  // The change stream when the server has it (docs/stream.md); the timer polls only while it is down.
  let streamUp = false;
  const host = (typeof o.host === 'string' ? o.host : '').replace(/\/+$/, '');
  const stream = o.stream === false ? undefined : createStream({
    token: tok,
    fetchFn,
    url: () => {
      const h = identity.handshake() as { distinct_id: string; anon_id?: string | null };
      return `${host}/v1/stream?distinct_id=${encodeURIComponent(h.distinct_id)}${h.anon_id ? `&anon_id=${encodeURIComponent(h.anon_id)}` : ''}`;
    },
    onState: (up) => {
      streamUp = up;
    },
    onEvent: (type, data) => {
      // Person properties given to the client overlay the stored ones: only a handshake has them.
      if (props) void refresh();
      else if (type === 'handshake') decisions.handshake(data, who());
      else if (type === 'decisions') decisions.apply(data, who());
    },
  });
  void first.then(() => stream?.restart());
  const interval = refreshMs > 0 ? setInterval(() => !streamUp && void refresh(), refreshMs) : undefined;
  (interval as { unref?: () => void } | undefined)?.unref?.();
  if (queue.length > 0) void queue.flush();

  const tracker = createTracker({ identity, queue, surveys, fail, here, refresh });

  // Browsers: when the page is hidden, persist the queue and send it with keepalive.
  const doc = (globalThis as { document?: Document }).document;
  const onHide = () => {
    queue.persistNow();
    void queue.flush({ keepalive: true });
  };
  const onVisibility = () => doc?.visibilityState === 'hidden' && onHide();
  const hooks = o.flushOnPageHide !== false && doc && typeof addEventListener === 'function';
  if (hooks) {
    doc.addEventListener('visibilitychange', onVisibility);
    addEventListener('pagehide', onHide);
  }

  const reported = new Set<string>();
  /** Records (once per key and code) why a lookup answered the default. */
  const miss = (key: unknown, code: ErrorCode): void => {
    const k = `${code}:${typeof key === 'string' ? key : typeof key}`;
    if (reported.has(k) || decisions.status() === 'loading' || reported.size > 1000) return;
    reported.add(k);
    fail('lookup', `${typeof key === 'string' ? key : '(key)'}: ${code}`);
  };
  const lookup = (key: string) => decisions.flag(key) ?? decisions.config(key);
  const usable = (d: Decision | undefined, key: string, dflt: unknown): d is Decision => {
    if (!d) return miss(key, 'FLAG_NOT_FOUND'), false;
    if (d.reason === 'ERROR' || d.value === null) return false;
    if (dflt !== undefined && dflt !== null && typeof dflt !== typeof d.value) return miss(key, 'TYPE_MISMATCH'), false;
    return true;
  };

  const client: SwitchboardClient = {
    ready: () => readyP,
    isEnabled(key, defaultValue) {
      try {
        const d = decisions.flag(key);
        if (d !== undefined && typeof d.value === 'boolean' && d.reason !== 'ERROR') return d.value;
        if (d === undefined) miss(key, 'FLAG_NOT_FOUND');
        else if (d.reason !== 'ERROR' && d.value !== null) miss(key, 'TYPE_MISMATCH');
      } catch (err) {
        fail('isEnabled', err);
      }
      return defaultValue;
    },
    getVariant(key, defaultValue = null) {
      try {
        const d = lookup(key);
        if (usable(d, key, undefined) && d.variant != null) return d.variant;
      } catch (err) {
        fail('getVariant', err);
      }
      return defaultValue;
    },
    getPayload(key, defaultValue) {
      try {
        const d = lookup(key);
        if (usable(d, key, undefined) && d.payload !== undefined) return d.payload;
      } catch (err) {
        fail('getPayload', err);
      }
      return defaultValue;
    },
    getConfig<T>(key: string, defaultValue: T): T {
      try {
        const d = decisions.config(key) ?? decisions.flag(key);
        if (usable(d, key, defaultValue)) return d.value as T;
      } catch (err) {
        fail('getConfig', err);
      }
      return defaultValue;
    },
    getDecision(key) {
      try {
        const d = lookup(key);
        if (d) return decisions.status() === 'stale' ? { ...d, reason: 'STALE' } : { ...d };
        const s = decisions.status();
        const code: ErrorCode = s === 'loading' || s === 'error' ? 'PROVIDER_NOT_READY' : 'FLAG_NOT_FOUND';
        return { key, value: null, variant: null, reason: 'ERROR', error_code: code, freshness: [] };
      } catch (err) {
        fail('getDecision', err);
        return { key: '', value: null, variant: null, reason: 'ERROR', error_code: 'GENERAL', freshness: [] };
      }
    },
    getSurveys() {
      try {
        return surveys.eligible().map((s) => ({ ...s }));
      } catch (err) {
        fail('getSurveys', err);
        return [];
      }
    },
    onChange(listener) {
      if (typeof listener !== 'function') return () => {};
      changeListeners.add(listener);
      return () => void changeListeners.delete(listener);
    },
    onStatus(listener) {
      if (typeof listener !== 'function') return () => {};
      statusListeners.add(listener);
      return () => void statusListeners.delete(listener);
    },
    status: () => decisions.status(),
    async identify(id, properties) {
      try {
        const problem = badId(id);
        if (problem) throw new Error(`identify: id ${problem}`);
        const set = properties === undefined ? undefined : engageBody('$set', properties, id);
        if (!set && identity.identified() && identity.distinctId() === id) return;
        const wasIdentified = identity.identified();
        const alias = identity.identify(id);
        if (alias) {
          queue.push({ k: 'a', id: uuid(), b: alias });
          // the alias (and the anonymous events before it) first, so the person keeps its bucketing key
          await Promise.race([queue.flush(), sleep(timeoutMs)]);
        } else if (wasIdentified) surveys.reset();
        if (set) {
          props = { ...props, ...(set.$set as Record<string, unknown>) };
          queue.push({ k: 'p', id: uuid(), b: set });
        }
        await refresh();
        stream?.restart();
      } catch (err) {
        fail('identify', err);
      }
    },
    async reset() {
      try {
        identity.reset();
        props = undefined;
        surveys.reset();
        decisions.clear();
        await refresh();
        stream?.restart();
      } catch (err) {
        fail('reset', err);
      }
    },
    refresh,
    distinctId: () => identity.distinctId(),
    anonymousId: () => identity.anonymousId(),
    track: tracker.track,
    page: tracker.page,
    people: {
      set: (p) => tracker.people('$set', p),
      setOnce: (p) => tracker.people('$set_once', p),
      add: (p) => tracker.people('$add', p),
      unset: (keys) => tracker.people('$unset', keys),
      append: (p) => tracker.people('$append', p),
      union: (p) => tracker.people('$union', p),
      remove: (p) => tracker.people('$remove', p),
    } satisfies Record<string, (a: never) => void> as People,
    surveyShown: tracker.surveyShown,
    answerSurvey: tracker.answerSurvey,
    flush: () => queue.flush(),
    stats: () => ({ ...stats, status: decisions.status(), queued: queue.length, lastHandshakeAt: decisions.lastHandshakeAt(), lastError: stats.lastError && { ...stats.lastError } }),
    async close() {
      try {
        clearInterval(interval);
        stream?.close();
        if (hooks) {
          doc.removeEventListener('visibilitychange', onVisibility);
          removeEventListener('pagehide', onHide);
        }
        surveys.close();
        await Promise.race([queue.flush(), sleep(timeoutMs)]);
        queue.close();
      } catch (err) {
        fail('close', err);
      }
    },
  };
  return client;
}

export type { PeopleOp, People, SwitchboardClient };
