import type { Watermark } from '../domain/consistency-token.js';

/**
 * A project's write sequence and its applied watermark, shared by every API process
 * (read-your-writes, docs/read-your-writes.md). Slots are handed out in order; a slot is
 * marked applied once its write and the event-driven cohort updates it triggers are visible;
 * the watermark is the highest N such that every slot `<= N` is applied, so writes finishing
 * out of order never move it past an unfinished one. A slot left pending for `abandonMs`
 * (its writer died) is released so the watermark does not stop for ever.
 */
export interface ConsistencyStore {
  /** Takes the next slot of the project's sequence (the epoch is created on first use). */
  issue(projectId: number): Promise<{ epoch: string; seq: number }>;
  /**
   * Marks `seq` of `epoch` applied (a no-op when `epoch` is not the current one, or the slot
   * was already released), advances the watermark and, when it moved, announces it.
   * `seq` 0 marks nothing: it only advances past released slots (the poll fallback).
   */
  complete(projectId: number, epoch: string, seq: number): Promise<Watermark | null>;
  /** The project's watermark; null when no slot was ever issued in the current epoch. */
  reached(projectId: number): Promise<Watermark | null>;
  /**
   * Subscribes to watermark announcements of every project (one subscription per process);
   * resolves to an unsubscribe function.
   */
  subscribe(onApplied: (projectId: number, mark: Watermark) => void): Promise<() => Promise<void>>;
}
