/**
 * Read-your-writes, fast: the watermark state machine (the reference the Redis Lua mirrors),
 * the token format, and the waiting service over the in-process store with a fake
 * "event-driven updates settled" port (docs/read-your-writes.md).
 */
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { completeSlot, issueSlot, newSequence } from '../../../src/domain/consistency-watermark.js';
import { formatToken, parseToken } from '../../../src/domain/consistency-token.js';
import { createMemoryConsistencyStore } from '../../../src/adapters/memory/consistency-store.js';
import { createConsistency } from '../../../src/services/consistency.js';
import { AppError } from '../../../src/errors.js';

const silent = pino({ level: 'silent' });

describe('the applied watermark', () => {
  it('is the highest N such that every slot <= N is applied, whatever order writes finish in', () => {
    const s = newSequence('0000abcd');
    const slots = [1, 2, 3, 4, 5].map(() => issueSlot(s, 0));
    expect(slots).toEqual([1, 2, 3, 4, 5]);
    completeSlot(s, 3, 1, 10_000);
    completeSlot(s, 2, 1, 10_000);
    expect(s.applied).toBe(0); // 1 still pending
    expect(completeSlot(s, 1, 1, 10_000)).toEqual({ moved: true, released: 0 });
    expect(s.applied).toBe(3);
    completeSlot(s, 5, 1, 10_000);
    expect(s.applied).toBe(3);
    completeSlot(s, 4, 1, 10_000);
    expect(s.applied).toBe(5);
    expect(s.done.size).toBe(0);
    expect(s.pending.size).toBe(0);
  });

  it('every permutation of 6 completions ends at 6 and never passes an unfinished slot', () => {
    const perms = (xs: number[]): number[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => perms([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));
    for (const order of perms([1, 2, 3, 4, 5, 6])) {
      const s = newSequence('00000000');
      for (let i = 0; i < 6; i++) issueSlot(s, 0);
      const finished = new Set<number>();
      for (const n of order) {
        completeSlot(s, n, 0, 1_000);
        finished.add(n);
        for (let k = 1; k <= s.applied; k++) expect(finished.has(k)).toBe(true);
        expect(s.applied === 6 || !finished.has(s.applied + 1)).toBe(true);
      }
      expect(s.applied).toBe(6);
    }
  });

  it('releases a slot pending for abandonMs (its writer died), and ignores its late completion', () => {
    const s = newSequence('00000000');
    issueSlot(s, 0); // 1: the writer dies
    issueSlot(s, 500); // 2
    completeSlot(s, 2, 600, 1_000);
    expect(s.applied).toBe(0);
    expect(completeSlot(s, 0, 999, 1_000)).toEqual({ moved: false, released: 0 });
    expect(completeSlot(s, 0, 1_000, 1_000)).toEqual({ moved: true, released: 1 });
    expect(s.applied).toBe(2);
    completeSlot(s, 1, 2_000, 1_000); // the late writer: nothing changes
    expect(s.applied).toBe(2);
    expect(s.done.size).toBe(0);
  });
});

describe('consistency tokens', () => {
  it('round-trip and refuse anything else', () => {
    const t = { projectId: 42, epoch: '0a1b2c3d', seq: 123_456 };
    expect(parseToken(formatToken(t))).toEqual(t);
    for (const bad of ['', 'ct1', 'ct1.16.0a1b2c3d', 'ct2.16.0a1b2c3d.1', 'ct1.16.0A1B2C3D.1', 'ct1.0.0a1b2c3d.1', 'ct1.16.0a1b2c3d.1.2', ' ct1.16.0a1b2c3d.1', 'ct1.zzzzzzzzzzz.0a1b2c3d.1']) {
      expect(parseToken(bad), bad).toBeNull();
    }
  });
});

/** The service over the in-process store; `gate(p)` holds project p's event-driven updates until released. */
function world(opts: { pollMs?: number; abandonMs?: number } = {}) {
  let now = 1_000_000;
  const store = createMemoryConsistencyStore({ abandonMs: opts.abandonMs ?? 60_000, now: () => now });
  const gates: Array<{ projectId: number; release: (clean: boolean) => void }> = [];
  const held = new Set<number>();
  const consistency = createConsistency({
    store,
    logger: silent,
    pollMs: opts.pollMs ?? 20,
    settled: (projectId) => (held.has(projectId) ? new Promise<boolean>((release) => gates.push({ projectId, release })) : Promise.resolve(true)),
  });
  return {
    store,
    consistency,
    hold: (p: number) => held.add(p),
    open: (p: number, clean = true) => {
      held.delete(p);
      for (const g of gates.splice(0)) g.release(clean);
    },
    tick: (ms: number) => (now += ms),
    write: (p: number) => consistency.track(p, async () => 'ok'),
  };
}

const tokenOf = (s: string | null) => parseToken(s!)!;

describe('waiting for a token', () => {
  it('answers at once when the write is applied, and behind at once with wait 0 while it is not', async () => {
    const w = world();
    const a = await w.write(1);
    await w.consistency.idle();
    expect(await w.consistency.awaitToken(tokenOf(a.token), 0, 'body.min_token')).toEqual({ behind: false, reached: a.token });
    w.hold(1);
    const b = await w.write(1);
    expect(await w.consistency.awaitToken(tokenOf(b.token), 0, 'body.min_token')).toEqual({ behind: true, reached: a.token });
    w.open(1);
    await w.consistency.idle();
    expect((await w.consistency.awaitToken(tokenOf(b.token), 0, 'body.min_token')).behind).toBe(false);
  });

  it('wakes a waiting decision when the write settles, well before its bound', async () => {
    const w = world({ pollMs: 5_000 }); // the announcement, not the poll, wakes it
    w.hold(1);
    const a = await w.write(1);
    const started = performance.now();
    const waiting = w.consistency.awaitToken(tokenOf(a.token), 2_000, 'body.min_token');
    setTimeout(() => w.open(1), 50);
    expect(await waiting).toEqual({ behind: false, reached: a.token });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('honours the bound and then says behind, with the token it reached', async () => {
    const w = world();
    const first = await w.write(1);
    await w.consistency.idle();
    w.hold(1);
    const a = await w.write(1);
    const started = performance.now();
    const f = await w.consistency.awaitToken(tokenOf(a.token), 150, 'body.min_token');
    const took = performance.now() - started;
    expect(f).toEqual({ behind: true, reached: first.token });
    expect(took).toBeGreaterThanOrEqual(145);
    expect(took).toBeLessThan(1_000);
    w.open(1);
    await w.consistency.stop();
  });

  it('never claims a later token while an earlier write is still settling (out-of-order completion)', async () => {
    const w = world();
    const slots = [await w.store.issue(1), await w.store.issue(1), await w.store.issue(1)];
    const token = (i: number) => ({ projectId: 1, epoch: slots[i].epoch, seq: slots[i].seq });
    await w.store.complete(1, slots[2].epoch, slots[2].seq);
    await w.store.complete(1, slots[1].epoch, slots[1].seq);
    for (const i of [0, 1, 2]) expect((await w.consistency.awaitToken(token(i), 0, 'body.min_token')).behind).toBe(true);
    const waiting = w.consistency.awaitToken(token(2), 1_000, 'body.min_token');
    await w.store.complete(1, slots[0].epoch, slots[0].seq);
    expect(await waiting).toEqual({ behind: false, reached: formatToken(token(2)) });
  });

  it('holds a token back when its cohort update failed, until the slot is released', async () => {
    const w = world({ abandonMs: 1_000 });
    w.hold(1);
    const a = await w.write(1);
    w.open(1, false); // the event-driven update failed
    await w.consistency.idle();
    expect((await w.consistency.awaitToken(tokenOf(a.token), 0, 'body.min_token')).behind).toBe(true);
    w.tick(1_000);
    // a waiting decision's poll releases the slot
    expect((await w.consistency.awaitToken(tokenOf(a.token), 500, 'body.min_token')).behind).toBe(false);
  });

  it('a token the project has not handed out is a 400 naming the field', async () => {
    const w = world();
    const a = tokenOf((await w.write(1)).token);
    await expect(w.consistency.awaitToken({ ...a, seq: a.seq + 5 }, 0, 'query.min_token')).rejects.toThrow(/query.min_token: was not issued/);
    await expect(w.consistency.awaitToken({ ...a, seq: a.seq + 5 }, 0, 'query.min_token')).rejects.toBeInstanceOf(AppError);
  });

  it('a token of a lost epoch (Redis restarted empty) is not waited for', async () => {
    const w = world();
    const a = await w.write(1);
    await w.consistency.idle();
    w.store.lose();
    const f = await w.consistency.awaitToken({ ...tokenOf(a.token), epoch: 'ffffffff' }, 500, 'body.min_token');
    expect(f).toMatchObject({ behind: false, otherEpoch: true });
  });

  it('a write that fails frees its slot at once, and Redis trouble never fails the write', async () => {
    const w = world();
    await expect(w.consistency.track(1, async () => Promise.reject(new Error('pg down')))).rejects.toThrow('pg down');
    await w.consistency.idle();
    const b = await w.write(1);
    await w.consistency.idle();
    expect(tokenOf(b.token).seq).toBe(2);
    expect((await w.consistency.awaitToken(tokenOf(b.token), 0, 'body.min_token')).behind).toBe(false);

    const broken = createConsistency({
      store: { ...w.store, issue: () => Promise.reject(new Error('redis down')), reached: () => Promise.reject(new Error('redis down')) },
      logger: silent,
    });
    expect(await broken.track(1, async () => 'stored')).toEqual({ result: 'stored', token: null });
    expect(await broken.awaitToken(tokenOf(b.token), 100, 'body.min_token')).toEqual({ behind: true, reached: null });
  });

  it('waiting decisions cost one poll timer per project, not a Redis call per request', async () => {
    const w = world({ pollMs: 30 });
    let reads = 0;
    const counted = createConsistency({
      store: { ...w.store, complete: (...a) => { reads++; return w.store.complete(...a); } },
      logger: silent,
      pollMs: 30,
    });
    const first = tokenOf((await w.write(7)).token);
    const pending = await w.store.issue(7); // never completes within the test
    const waits = Array.from({ length: 200 }, () => counted.awaitToken({ ...first, seq: pending.seq }, 150, 'body.min_token'));
    const answers = await Promise.all(waits);
    expect(answers.every((f) => f.behind)).toBe(true);
    expect(reads).toBeLessThanOrEqual(8); // ~150 ms / 30 ms polls for 200 waiting requests
  });
});

describe('the event-driven recompute says when a write\'s updates settled', () => {
  it('resolves after the drain that holds the persons, false when the recompute failed', async () => {
    const { createEventDrivenRecompute } = await import('../../../src/services/event-driven-recompute.js');
    const gates: Array<() => void> = [];
    let fail = false;
    const q = createEventDrivenRecompute({
      recomputePersons: async () => {
        await new Promise<void>((r) => gates.push(r));
        if (fail) throw new Error('query failed');
        return { failedCohorts: 0 };
      },
      tierOf: async () => 'enterprise',
      logger: silent,
      flushMs: 60_000, // flushed by hand
    });
    expect(await q.settled(1)).toBe(true); // nothing queued
    await q.listener.personsChanged!(1, [10]);
    let first: boolean | null = null;
    void q.settled(1).then((v) => (first = v));
    const drain = q.flush();
    await q.listener.personsChanged!(1, [11]); // enqueued while the first drain runs: the next one
    let second: boolean | null = null;
    void q.settled(1).then((v) => (second = v));
    await new Promise((r) => setTimeout(r, 10));
    expect(first).toBeNull();
    gates.shift()!();
    await drain;
    expect(first).toBe(true);
    expect(second).toBeNull();
    fail = true;
    const next = q.flush();
    await new Promise((r) => setTimeout(r, 10));
    gates.shift()!();
    await next;
    expect(second).toBe(false);
    await q.stop();
  });
});

describe('a slow Redis', () => {
  it('never holds a write back past issueTimeoutMs: the write runs without a token, its late slot is still marked', async () => {
    const store = createMemoryConsistencyStore({ abandonMs: 60_000 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = { ...store, issue: async (p: number) => { await gate; return store.issue(p); } };
    const c = createConsistency({ store: slow, logger: silent, issueTimeoutMs: 50 });
    const started = performance.now();
    expect(await c.track(1, async () => 'stored')).toEqual({ result: 'stored', token: null });
    expect(performance.now() - started).toBeLessThan(1_000);
    release();
    await new Promise((r) => setTimeout(r, 10));
    await c.idle();
    expect(await store.reached(1)).toMatchObject({ applied: 1, issued: 1 });
  });
});
