/**
 * The delivery queue: events, profile updates and aliases in the order they were made,
 * persisted (so a reload, a restart or an outage loses nothing within `maxQueue`) and sent
 * in batches of one kind. Failed sends are retried with exponential backoff and jitter on
 * network errors, 408, 429 and 5xx, honouring `Retry-After`; past the bound the oldest
 * items are dropped and counted. Aliases go through the queue too, so an alias always
 * reaches the server before the events of the identified id (PRODUCT.md 5).
 */
import type { Kv } from './storage.js';
import { retryable, type Post, type Reply } from './transport.js';
import type { Stats } from './types.js';

/** One queued item: `e` an event for /v1/events, `p` an update for /v1/engage, `a` an alias. */
export interface Item {
  k: 'e' | 'p' | 'a';
  id: string;
  b: Record<string, unknown>;
}

export interface QueueDeps {
  kv: Kv;
  post: Post;
  stats: Stats;
  fail: (where: string, err: unknown) => void;
  maxQueue: number;
  batchSize: number;
  flushIntervalMs: number;
  retryBaseMs: number;
  /** told the consistency token of each delivered write (read-your-writes: forwarded on the next handshake) */
  onToken?: (token: string) => void;
}

const PATH = { e: '/v1/events', p: '/v1/engage', a: '/v1/alias' } as const;
const MAX_BYTES = 1_000_000;
const KEEPALIVE_BYTES = 60_000;

/**
 * Delay before retry `attempt` (0-based): "equal jitter", half fixed and half random, of
 * min(30 s, baseMs (500) × 2^attempt) (after AWS's "Exponential Backoff And Jitter", 2015); a
 * `Retry-After` from the server is a floor.
 */
export function backoffMs(attempt: number, retryAfter?: number, baseMs = 500, random = Math.random): number {
  const cap = Math.min(30_000, baseMs * 2 ** Math.min(attempt, 16));
  return Math.max(retryAfter ?? 0, cap / 2 + (random() * cap) / 2);
}

export function createQueue(d: QueueDeps) {
  const items: Item[] = (d.kv.get<Item[]>('queue') ?? []).filter((i) => i && typeof i.id === 'string' && i.b && PATH[i.k]);
  let attempt = 0;
  let retryAt = 0;
  let singles = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: Promise<boolean> | null = null;
  let closed = false;
  let persistQueued = false;
  d.stats.queued = items.length;

  const persistNow = () => {
    persistQueued = false;
    d.kv.set('queue', items);
    d.stats.queued = items.length;
  };
  // Coalesces the writes of one synchronous burst of track() calls into one.
  const persist = () => {
    d.stats.queued = items.length;
    if (persistQueued) return;
    persistQueued = true;
    queueMicrotask(persistNow);
  };

  const schedule = (ms: number) => {
    if (closed || timer !== undefined || items.length === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, ms);
    (timer as { unref?: () => void }).unref?.();
  };

  /** The leading run of one kind that fits one request. */
  function nextRun(keepalive: boolean): Item[] {
    const kind = items[0].k;
    const limit = kind === 'a' || singles > 0 ? 1 : d.batchSize;
    const budget = keepalive ? KEEPALIVE_BYTES : MAX_BYTES;
    const run: Item[] = [];
    let bytes = 0;
    for (const it of items) {
      if (it.k !== kind || run.length >= limit) break;
      bytes += JSON.stringify(it.b).length + 1;
      if (run.length > 0 && bytes > budget) break;
      run.push(it);
    }
    return run;
  }

  function bodyOf(run: Item[]): unknown {
    if (run[0].k === 'a') return run[0].b;
    return run[0].k === 'e' ? { events: run.map((i) => i.b) } : { updates: run.map((i) => i.b) };
  }

  function remove(run: Item[]) {
    const sent = new Set(run);
    for (let i = items.length - 1; i >= 0; i--) if (sent.has(items[i])) items.splice(i, 1);
    persist();
  }

  /** Counts what the server refused inside a 200 (`rejected` with `errors`). */
  function tally(reply: Reply) {
    const b = reply.body as { rejected?: unknown; errors?: Array<{ field?: string; message?: string }> } | undefined;
    const n = typeof b?.rejected === 'number' ? b.rejected : 0;
    if (n > 0) {
      d.stats.rejected += n;
      const e = b?.errors?.[0];
      d.fail('deliver', `${n} refused by the server${e ? `: ${e.field}: ${e.message}` : ''}`);
    }
  }

  async function drain(keepalive: boolean): Promise<boolean> {
    while (items.length > 0 && !closed) {
      const run = nextRun(keepalive);
      const reply = await d.post(PATH[run[0].k], bodyOf(run), { keepalive });
      const ok = reply.status >= 200 && reply.status < 300 && reply.body !== undefined;
      if (ok) {
        attempt = 0;
        retryAt = 0;
        d.stats.sent += run.length;
        tally(reply);
        const token = (reply.body as { consistency_token?: unknown }).consistency_token;
        if (typeof token === 'string' && token !== '') d.onToken?.(token);
        remove(run);
      } else if (retryable(reply.status) || (reply.status >= 200 && reply.status < 300)) {
        // a 2xx we cannot read is not a confirmed delivery: retry (the server dedups by $insert_id)
        const wait = backoffMs(attempt++, reply.retryAfterMs, d.retryBaseMs);
        retryAt = Date.now() + wait;
        d.stats.retries++;
        d.fail('deliver', reply.error ?? `HTTP ${reply.status}`);
        schedule(wait);
        return false;
      } else {
        // refused whole (4xx): a lone item is dropped; a batch is retried one by one so one bad item loses no neighbour
        if (run.length > 1) singles = run.length;
        else {
          d.stats.rejected++;
          remove(run);
        }
        d.fail('deliver', reply.error ?? `HTTP ${reply.status}`);
      }
      if (singles > 0 && run.length === 1) singles--;
    }
    return items.length === 0;
  }

  /** Sends everything queued now; resolves true when the queue is empty. Never rejects. */
  function flush(opts: { keepalive?: boolean } = {}): Promise<boolean> {
    clearTimeout(timer);
    timer = undefined;
    if (inflight) return inflight.then(() => (closed || items.length === 0 ? items.length === 0 : flush(opts)));
    if (items.length === 0) return Promise.resolve(true);
    inflight = drain(!!opts.keepalive)
      .catch((err) => {
        d.fail('deliver', err);
        return false;
      })
      .finally(() => {
        inflight = null;
      });
    return inflight;
  }

  function push(item: Item) {
    items.push(item);
    while (items.length > d.maxQueue) {
      items.shift();
      d.stats.dropped++;
    }
    persist();
    if (inflight || closed) return;
    if (retryAt > Date.now()) return; // in backoff: the scheduled retry sends it
    if (items.length >= d.batchSize || item.k === 'a') void flush();
    else schedule(d.flushIntervalMs);
  }

  return {
    push,
    flush,
    persistNow,
    get length() {
      return items.length;
    },
    close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      persistNow();
    },
  };
}

export type Queue = ReturnType<typeof createQueue>;
