/**
 * The decision cache: the last handshake's flags, configs and surveys, refreshed with
 * `If-None-Match` (a 304 keeps them), persisted so an offline start serves them with reason
 * `STALE`, or seeded from server-rendered `bootstrap` values. Lookups are one Map read.
 */
import { isObject } from './ids.js';
import type { Kv } from './storage.js';
import type { Post } from './transport.js';
import type { Bootstrap, Decision, Handshake, Status, Survey } from './types.js';

interface Saved {
  etag: string | null;
  who: string;
  h: Handshake;
}

/** A decision record from a bootstrap entry: a record as the server sent it, or a bare value. */
function toDecision(key: string, v: unknown): Decision {
  if (isObject(v) && 'reason' in v && 'value' in v) {
    const d = v as unknown as Decision;
    return { ...d, key, variant: d.variant ?? null, freshness: Array.isArray(d.freshness) ? d.freshness : [] };
  }
  return { key, value: v as Decision['value'], variant: null, reason: 'CACHED', freshness: [] };
}

function mapOf(rec: unknown, strict: boolean): Map<string, Decision> | null {
  if (!isObject(rec)) return strict ? null : new Map();
  const m = new Map<string, Decision>();
  for (const k of Object.keys(rec)) m.set(k, strict ? (rec[k] as Decision) : toDecision(k, rec[k]));
  return m;
}

/** Checks an answer's shape; null when it is not a handshake. */
function parse(body: unknown): { flags: Map<string, Decision>; configs: Map<string, Decision>; surveys: Survey[] } | null {
  if (!isObject(body) || !Array.isArray(body.surveys)) return null;
  const flags = mapOf(body.flags, true);
  const configs = mapOf(body.configs, true);
  if (!flags || !configs) return null;
  for (const m of [flags, configs]) for (const d of m.values()) if (!isObject(d) || !('value' in d) || typeof d.reason !== 'string') return null;
  return { flags, configs, surveys: surveysOf(body.surveys) };
}

const surveysOf = (list: unknown): Survey[] => (Array.isArray(list) ? list.filter((s): s is Survey => isObject(s) && typeof s.key === 'string' && isObject(s.triggers)) : []);

export function createDecisions(deps: { kv: Kv; post: Post; fail: (where: string, err: unknown) => void; onStatus: (s: Status) => void; onChange: (keys: string[]) => void }) {
  let flags = new Map<string, Decision>();
  let configs = new Map<string, Decision>();
  let surveys: Survey[] = [];
  let etag: string | null = null;
  let status: Status = 'loading';
  let have = false;
  let lastAt: number | null = null;

  const setStatus = (s: Status) => {
    if (s === status) return;
    status = s;
    deps.onStatus(s);
  };

  /** Replaces the cache and tells listeners which keys changed value or variant. */
  function replace(f: Map<string, Decision>, c: Map<string, Decision>, s: Survey[]) {
    const changed: string[] = [];
    const diff = (a: Map<string, Decision>, b: Map<string, Decision>) => {
      for (const [k, d] of b) {
        const o = a.get(k);
        if (!o || o.variant !== d.variant || JSON.stringify(o.value) !== JSON.stringify(d.value)) changed.push(k);
      }
      for (const k of a.keys()) if (!b.has(k)) changed.push(k);
    };
    diff(flags, f);
    diff(configs, c);
    flags = f;
    configs = c;
    surveys = s;
    have = true;
    if (changed.length > 0) deps.onChange(changed);
  }

  const toJson = (): Handshake => ({ flags: Object.fromEntries(flags), configs: Object.fromEntries(configs), surveys });

  return {
    status: () => status,
    lastHandshakeAt: () => lastAt,
    flag: (key: string) => flags.get(key),
    config: (key: string) => configs.get(key),
    surveys: () => surveys,
    keys: () => ({ flags: [...flags.keys()], configs: [...configs.keys()] }),
    /** Serves the persisted decisions of `who` (an offline start), marked stale. */
    load(who: string): boolean {
      const saved = deps.kv.get<Saved>('decisions');
      const p = saved && saved.who === who ? parse(saved.h) : null;
      if (!p) return false;
      etag = saved!.etag;
      replace(p.flags, p.configs, p.surveys);
      setStatus('stale');
      return true;
    },
    bootstrap(b: Bootstrap) {
      replace(mapOf(b.flags, false)!, mapOf(b.configs, false)!, surveysOf(b.surveys));
      etag = null;
      setStatus('ready');
    },
    /** Forgets everything (logout). */
    clear() {
      replace(new Map(), new Map(), []);
      have = false;
      etag = null;
      deps.kv.del('decisions');
      setStatus('loading');
    },
    /** A full handshake pushed by the stream (as a 200 of `refresh`). */
    handshake(body: unknown, who: string): void {
      const p = parse(body);
      if (!p) return;
      lastAt = Date.now();
      // the ETag is kept: it still matches when nothing changed, and a stale one only costs a 200
      replace(p.flags, p.configs, p.surveys);
      deps.kv.set('decisions', { etag, who, h: toJson() });
      setStatus('ready');
    },
    /** A stream's `decisions` event: only the changed decisions, removed keys, surveys when they changed. */
    apply(delta: unknown, who: string): void {
      if (!isObject(delta) || !have) return;
      const f = new Map(flags);
      const c = new Map(configs);
      const add = (m: Map<string, Decision>, rec: unknown) => {
        if (isObject(rec)) for (const k of Object.keys(rec)) if (isObject(rec[k])) m.set(k, rec[k] as unknown as Decision);
      };
      add(f, delta.flags);
      add(c, delta.configs);
      const removed = isObject(delta.removed) ? delta.removed : {};
      for (const k of Array.isArray(removed.flags) ? removed.flags : []) f.delete(String(k));
      for (const k of Array.isArray(removed.configs) ? removed.configs : []) c.delete(String(k));
      lastAt = Date.now();
      replace(f, c, Array.isArray(delta.surveys) ? surveysOf(delta.surveys) : surveys);
      deps.kv.set('decisions', { etag, who, h: toJson() });
      setStatus('ready');
    },
    /**
     * One handshake for `body` (`who` is its identity key). Never rejects. Resolves to whether
     * the answer caught up with the body's `min_token` (a 304 always has: the server never
     * revalidates an answer that is behind), false when it is behind, null when it failed,
     * `refused` for a 400 (a body the server does not accept).
     */
    async refresh(body: Record<string, unknown>, who: string): Promise<boolean | null | 'refused'> {
      const reply = await deps.post('/v1/decide', body, { etag });
      if (reply.status === 304 && have) {
        lastAt = Date.now();
        deps.kv.set('decisions', { etag, who, h: toJson() });
        setStatus('ready');
        return true;
      }
      const p = reply.status === 200 ? parse(reply.body) : null;
      if (p) {
        lastAt = Date.now();
        etag = reply.etag ?? null;
        replace(p.flags, p.configs, p.surveys);
        deps.kv.set('decisions', { etag, who, h: toJson() });
        setStatus('ready');
        const f = (reply.body as { freshness?: { behind?: unknown } }).freshness;
        return f?.behind !== true;
      }
      deps.fail('handshake', reply.error ?? (reply.status === 200 ? 'answer is not a handshake' : `HTTP ${reply.status}`));
      setStatus(have ? 'stale' : 'error');
      return reply.status === 400 ? 'refused' : null;
    },
  };
}

export type Decisions = ReturnType<typeof createDecisions>;
