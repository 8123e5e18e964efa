/**
 * Read-your-writes (issue 19, docs/read-your-writes.md). A feed write (`/v1/events`,
 * `/v1/engage`, `/v1/alias`) takes the next slot of its project's sequence before it runs and
 * returns the slot as its consistency token; once the write is committed, written through to
 * Redis and the event-driven cohort updates it triggered are done, the slot is marked applied.
 * A decision given a token waits (bounded) until the project's applied watermark reaches it,
 * or answers at once saying it is behind.
 *
 * Waiting costs no Redis traffic per request: each process keeps the last watermark it saw per
 * project, fed by one subscription to the watermark announcements; while requests wait on a
 * project, one timer per project polls (`pollMs`) in case an announcement was missed, and the
 * poll also releases slots whose writer died (ports/consistency-store.ts).
 */
import type { Logger } from 'pino';
import { formatToken, type ConsistencyToken, type Watermark } from '../domain/consistency-token.js';
import { invalid } from '../errors.js';
import type { ConsistencyStore } from '../ports/consistency-store.js';

export interface ConsistencyDeps {
  store: ConsistencyStore;
  /**
   * Resolves once the event-driven cohort updates of every person the feeds enqueued for the
   * project before the call are done: true when all succeeded, false when some were dropped or
   * failed (services/event-driven-recompute.ts#settled). Absent: writes trigger none.
   */
  settled?: (projectId: number) => Promise<boolean>;
  logger: Logger;
  /** ms between polls of a project while requests wait on it (default 250) */
  pollMs?: number;
  /** ms a write waits for its slot before it runs without a token (default 1,000) */
  issueTimeoutMs?: number;
  /** counts tokens issued, slots held back (an update failed) and waits by outcome (metrics) */
  count?: (what: 'issued' | 'held' | 'fresh' | 'behind', n?: number) => void;
}

/** What a token-carrying decision learned: behind or not, and the token the project reached. */
export interface Freshness {
  behind: boolean;
  /** the project's applied watermark as a token; null when Redis could not say */
  reached: string | null;
  /**
   * true when the token's epoch is not the current one: Redis lost the sequence since the
   * write (which PostgreSQL holds and Redis is rebuilt from), so no watermark can cover it.
   */
  otherEpoch?: boolean;
}

interface Waiter {
  token: ConsistencyToken;
  resolve: (f: Freshness) => void;
  timer: NodeJS.Timeout;
}

export function createConsistency(deps: ConsistencyDeps) {
  const pollMs = deps.pollMs ?? 250;
  const issueTimeoutMs = deps.issueTimeoutMs ?? 1_000;
  const log = deps.logger.child({ component: 'consistency' });
  const count = deps.count ?? (() => {});
  /** the last watermark seen per project (reads and announcements) */
  const marks = new Map<number, Watermark>();
  const waiting = new Map<number, { waiters: Set<Waiter>; poll: NodeJS.Timeout | null; polling: boolean }>();
  const completing = new Set<Promise<void>>();
  let unsubscribe: Promise<(() => Promise<void>) | null> | null = null;
  let stopped = false;

  const tokenOf = (projectId: number, m: Watermark | undefined | null) => (m ? formatToken({ projectId, epoch: m.epoch, seq: m.applied }) : null);

  /** Keeps the newer watermark: a higher one of the same epoch, or any of another epoch. */
  function learn(projectId: number, m: Watermark): void {
    const known = marks.get(projectId);
    if (!known || known.epoch !== m.epoch || m.applied > known.applied || m.issued > known.issued) marks.set(projectId, known && known.epoch === m.epoch ? { epoch: m.epoch, applied: Math.max(m.applied, known.applied), issued: Math.max(m.issued, known.issued) } : m);
  }

  /** fresh, otherEpoch, or null when the mark does not cover the token yet */
  function verdict(projectId: number, t: ConsistencyToken, m: Watermark | undefined | null): Freshness | null {
    if (!m || m.epoch !== t.epoch) return { behind: false, reached: tokenOf(projectId, m), otherEpoch: true };
    return m.applied >= t.seq ? { behind: false, reached: tokenOf(projectId, m) } : null;
  }

  function wake(projectId: number): void {
    const w = waiting.get(projectId);
    if (!w) return;
    const m = marks.get(projectId);
    for (const waiter of w.waiters) {
      const v = m && verdict(projectId, waiter.token, m);
      if (v) finish(projectId, waiter, v);
    }
  }

  function finish(projectId: number, waiter: Waiter, f: Freshness): void {
    clearTimeout(waiter.timer);
    const w = waiting.get(projectId);
    w?.waiters.delete(waiter);
    if (w && w.waiters.size === 0) {
      if (w.poll) clearInterval(w.poll);
      waiting.delete(projectId);
    }
    count(f.behind ? 'behind' : 'fresh');
    waiter.resolve(f);
  }

  async function poll(projectId: number): Promise<void> {
    const w = waiting.get(projectId);
    if (!w || w.polling) return;
    w.polling = true;
    try {
      // complete(…, 0) marks nothing: it advances past released slots and reads the watermark.
      const m = await deps.store.complete(projectId, '', 0);
      if (m) learn(projectId, m);
      else marks.delete(projectId);
      if (!m) for (const waiter of [...w.waiters]) finish(projectId, waiter, { behind: false, reached: null, otherEpoch: true });
      else wake(projectId);
    } catch (err) {
      log.debug({ err: (err as Error).message, project: projectId }, 'watermark poll failed');
    } finally {
      w.polling = false;
    }
  }

  function subscribed(): void {
    if (unsubscribe || stopped) return;
    unsubscribe = deps.store
      .subscribe((projectId, m) => {
        learn(projectId, m);
        wake(projectId);
      })
      .catch((err) => {
        log.warn({ err: (err as Error).message }, 'watermark subscription failed; waiting decisions poll');
        unsubscribe = null;
        return null;
      });
  }

  /** Marks the slot applied once the write's event-driven updates are done (in the background). */
  function completeLater(projectId: number, slot: { epoch: string; seq: number }, settle: boolean): void {
    const p = (async () => {
      const clean = settle && deps.settled ? await deps.settled(projectId) : true;
      if (!clean) {
        // Never claim a write visible whose cohort update failed: the slot stays pending until released.
        count('held');
        log.warn({ project: projectId, seq: slot.seq }, 'event-driven update of a write failed or was dropped; its consistency token is held until released');
        return;
      }
      for (let attempt = 0; ; attempt++) {
        try {
          const m = await deps.store.complete(projectId, slot.epoch, slot.seq);
          if (m) learn(projectId, m);
          return;
        } catch (err) {
          if (attempt >= 2) {
            log.warn({ err: (err as Error).message, project: projectId, seq: slot.seq }, 'cannot mark a write applied; its slot is released later');
            return;
          }
          await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
        }
      }
    })();
    completing.add(p);
    void p.finally(() => completing.delete(p));
  }

  return {
    /**
     * Runs one feed write under a slot of the project's sequence and returns its result with
     * the consistency token (null when Redis could not hand out a slot: the write still runs).
     * The token is returned at once; the slot is marked applied in the background, after the
     * write's event-driven cohort updates. A write that throws frees its slot at once. When
     * Redis takes longer than `issueTimeoutMs` to hand out the slot, the write runs without a
     * token (and the slot, when it comes, is marked after the write as usual).
     */
    async track<T>(projectId: number, write: () => Promise<T>): Promise<{ result: T; token: string | null }> {
      const issuing = deps.store.issue(projectId).then(
        (slot) => {
          count('issued');
          return slot;
        },
        (err) => {
          log.warn({ err: (err as Error).message, project: projectId }, 'no consistency token: Redis did not hand out a slot');
          return null;
        },
      );
      // A slow Redis never holds a write back for long: past issueTimeoutMs it runs without a token.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((r) => (timer = setTimeout(r, issueTimeoutMs, undefined)));
      const slot = await Promise.race([issuing, late]);
      clearTimeout(timer);
      let result: T;
      try {
        result = await write();
      } catch (err) {
        void issuing.then((s) => s && completeLater(projectId, s, false));
        throw err;
      }
      if (slot === undefined) {
        // The slot came (or comes) too late to be returned; it is still marked once the write settled.
        void issuing.then((s) => s && completeLater(projectId, s, true));
        return { result, token: null };
      }
      if (!slot) return { result, token: null };
      completeLater(projectId, slot, true);
      return { result, token: formatToken({ projectId, epoch: slot.epoch, seq: slot.seq }) };
    },

    /**
     * Waits at most `waitMs` (0: not at all) until `token`'s write is visible to decisions of
     * its project. Never rejects for Redis trouble (answers behind, reached null); throws a 400
     * naming `field` for a token this project has not handed out yet.
     */
    async awaitToken(token: ConsistencyToken, waitMs: number, field: string): Promise<Freshness> {
      const projectId = token.projectId;
      const known = marks.get(projectId);
      if (known && known.epoch === token.epoch && known.applied >= token.seq) {
        count('fresh');
        return { behind: false, reached: tokenOf(projectId, known) };
      }
      let m: Watermark | null;
      try {
        m = await deps.store.reached(projectId);
      } catch (err) {
        log.debug({ err: (err as Error).message, project: projectId }, 'watermark read failed');
        count('behind');
        return { behind: true, reached: null };
      }
      if (m) learn(projectId, m);
      if (m && m.epoch === token.epoch && token.seq > m.issued) throw invalid(`${field}: was not issued by this project`, { issues: [{ path: field, message: 'was not issued by this project' }] });
      const now = verdict(projectId, token, m);
      if (now || waitMs <= 0 || stopped) {
        const f = now ?? { behind: true, reached: tokenOf(projectId, m) };
        count(f.behind ? 'behind' : 'fresh');
        return f;
      }
      subscribed();
      return new Promise<Freshness>((resolve) => {
        let w = waiting.get(projectId);
        if (!w) waiting.set(projectId, (w = { waiters: new Set(), poll: null, polling: false }));
        const waiter: Waiter = {
          token,
          resolve,
          timer: setTimeout(() => finish(projectId, waiter, { behind: true, reached: tokenOf(projectId, marks.get(projectId)) }), waitMs),
        };
        w.waiters.add(waiter);
        if (!w.poll) w.poll = setInterval(() => void poll(projectId), pollMs);
        // An announcement may have come between the read and the subscription: look again.
        if (marks.get(projectId) !== m) wake(projectId);
      });
    },

    /** Slots still being completed (tests). */
    async idle(): Promise<void> {
      while (completing.size) await Promise.all([...completing]);
    },

    start(): void {
      stopped = false;
      subscribed();
    },

    /** Answers every waiting decision (behind), marks the slots in flight, unsubscribes. */
    async stop(): Promise<void> {
      stopped = true;
      for (const [projectId, w] of [...waiting]) for (const waiter of [...w.waiters]) finish(projectId, waiter, { behind: true, reached: tokenOf(projectId, marks.get(projectId)) });
      // Slots in flight wait for their cohort updates; never hold shutdown for long on them.
      await Promise.race([Promise.all([...completing]), new Promise((r) => setTimeout(r, 2_000).unref())]);
      const u = await unsubscribe;
      unsubscribe = null;
      await u?.();
    },
  };
}

export type Consistency = ReturnType<typeof createConsistency>;
