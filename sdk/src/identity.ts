/**
 * Who the client is (PRODUCT.md 5, 11): an anonymous id made and persisted on first use,
 * the identified id after `identify()`, and whether the alias between them was queued
 * (persisted, so a reload never aliases twice). Handshakes of an identified client carry
 * `anon_id`, so decisions hold even before the server has processed the alias.
 */
import { uuid } from './ids.js';
import type { Kv } from './storage.js';

interface State {
  /** the anonymous id */
  a: string;
  /** the identified id, or null while anonymous */
  u: string | null;
}

export function createIdentity(kv: Kv, opts: { distinctId?: string; anonymousId?: string }) {
  let s = kv.get<State>('identity');
  if (!s || typeof s.a !== 'string' || (s.u !== null && typeof s.u !== 'string')) s = { a: opts.anonymousId ?? uuid(), u: null };
  if (opts.anonymousId && opts.anonymousId !== s.a) s = { a: opts.anonymousId, u: null };
  if (opts.distinctId && opts.distinctId !== s.u) s = { a: s.a, u: opts.distinctId };
  const save = () => kv.set('identity', s);
  save();

  return {
    /** The id events and handshakes are sent as. */
    distinctId: () => s!.u ?? s!.a,
    anonymousId: () => s!.a,
    identified: () => s!.u !== null,
    /** The `/v1/decide` identity fields. */
    handshake: (): { distinct_id: string; anon_id?: string } => (s!.u === null ? { distinct_id: s!.a } : { distinct_id: s!.u, anon_id: s!.a }),
    /**
     * Becomes `id`: returns the alias to send when going from anonymous to identified,
     * null when already `id` or when switching between identified users (no alias: the
     * server would refuse it as a takeover).
     */
    identify(id: string): { distinct_id: string; alias: string } | null {
      if (s!.u === id) return null;
      const alias = s!.u === null && id !== s!.a ? { distinct_id: id, alias: s!.a } : null;
      s = { a: s!.a, u: id };
      save();
      return alias;
    },
    /** Logout: a new anonymous id, no identified id. */
    reset() {
      s = { a: uuid(), u: null };
      save();
    },
  };
}

export type Identity = ReturnType<typeof createIdentity>;
