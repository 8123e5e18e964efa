/**
 * The applied watermark as a pure state machine over one project's sequence: the reference
 * the Redis Lua script (adapters/redis/consistency-store.ts) mirrors step for step, and what the
 * in-process store (adapters/memory/consistency-store.ts) runs. No clock: `now` is passed in.
 */

/** One project's sequence state. `pending`: slot -> issued at (unix ms); `done`: applied slots above `applied`. */
export interface SequenceState {
  epoch: string;
  issued: number;
  applied: number;
  pending: Map<number, number>;
  done: Set<number>;
}

export const newSequence = (epoch: string): SequenceState => ({ epoch, issued: 0, applied: 0, pending: new Map(), done: new Set() });

/** Takes the next slot, pending since `now`. */
export function issueSlot(s: SequenceState, now: number): number {
  const seq = ++s.issued;
  s.pending.set(seq, now);
  return seq;
}

/**
 * Marks `seq` applied (0: nothing) and advances `applied` while the next slot is applied, or
 * pending for at least `abandonMs` (released: its writer is presumed dead). Returns how far it
 * moved and how many slots were released. A slot neither pending nor applied inside
 * `(applied, issued]` cannot happen (issue adds it to pending); if it does (Redis evicted a
 * key), it is released rather than stopping the watermark.
 */
export function completeSlot(s: SequenceState, seq: number, now: number, abandonMs: number): { moved: boolean; released: number } {
  if (seq > 0 && s.pending.delete(seq) && seq > s.applied) s.done.add(seq);
  const start = s.applied;
  let released = 0;
  while (s.applied < s.issued) {
    const next = s.applied + 1;
    if (s.done.delete(next)) {
      s.applied = next;
      continue;
    }
    const since = s.pending.get(next);
    if (since !== undefined && now - since < abandonMs) break;
    s.pending.delete(next);
    s.applied = next;
    released++;
  }
  return { moved: s.applied > start, released };
}
