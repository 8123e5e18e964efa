/**
 * JSON fragments rendered once per snapshot (docs/performance.md): within one snapshot, a
 * decision's JSON is fixed by its compact form (key, definition version, variant, reason, rule,
 * error code, the states of the cohorts it read; see handshake.ts#compact), so the fragment
 * rendered for the first person who gets a decision is reused for every later one. The caches
 * live as long as their snapshot object (a WeakMap), so a new snapshot never sees old JSON.
 *
 * Lookup without building strings (issue 15): each definition key has a short list of the
 * distinct decisions seen for it (typically 1-3: most flags give most people the same
 * answer), matched field by field against the decision (the same fields the compact form
 * holds). The compact form, its digest and the rendered JSON are kept on the entry, so a
 * handshake neither builds nor hashes a compact string per decision: it hashes the cached
 * digests for the ETag and concatenates cached fragments for the body.
 */
import { createHash } from 'node:crypto';
import type { Decision, SurveyOffer } from '../../core/index.js';
import type { ProjectSnapshot } from '../../services/snapshots.js';

/** Most entries kept per snapshot (all kinds); past it, new ones are built each time. */
export const MAX_FRAGMENTS = 20_000;

/** One distinct decision of a definition in a snapshot, with what is rendered from it. */
export interface DecisionEntry {
  readonly version: number;
  readonly variant: string | null | undefined;
  readonly reason: string;
  readonly ruleId: string | undefined;
  readonly errorCode: string | undefined;
  /** cohort, state, cohort, state, … of the decision's freshness entries, in order */
  readonly states: readonly string[];
  /** the compact form (handshake.ts#compact) */
  readonly compact: string;
  /**
   * What the handshake's ETag input holds for it: the first 16 characters (96 bits) of the
   * base64url sha1 of its kind letter and compact form. Computed once per entry, so a
   * handshake hashes 65 × 16 characters instead of every compact form (~4 KB).
   */
  readonly digest: string;
  /** handshake: `"key":{…}` of a flag or config decision, or a survey offer's JSON (set on first render) */
  json?: string;
  /** one OFREP evaluation's JSON (set on first render) */
  ofrep?: string;
}

/** One map per kind of decision, keyed by definition key, and per-snapshot blocks. */
export interface Fragments {
  flags: Map<string, DecisionEntry[]>;
  configs: Map<string, DecisionEntry[]>;
  surveys: Map<string, DecisionEntry[]>;
  /** per-snapshot blocks rendered once (e.g. OFREP's bulk metadata) */
  blocks: Map<string, string>;
  /** entries kept so far (all kinds) */
  size: number;
}

const caches = new WeakMap<ProjectSnapshot, Fragments>();

/** The fragment caches of a snapshot (created on first use). */
export function fragmentsOf(snapshot: ProjectSnapshot): Fragments {
  let f = caches.get(snapshot);
  if (!f) caches.set(snapshot, (f = { flags: new Map(), configs: new Map(), surveys: new Map(), blocks: new Map(), size: 0 }));
  return f;
}

/** Stores `fragment` under `id` while the map has room; returns it. */
export function keep(map: Map<string, string>, id: string, fragment: string): string {
  if (map.size < MAX_FRAGMENTS) map.set(id, fragment);
  return fragment;
}

/**
 * One decision in its compact form: what the ETag covers (handshake.ts#decisionsEtag), and
 * what identifies its rendered JSON within a snapshot. Two decisions of one snapshot with the
 * same compact form render to the same JSON: the definition version and the variant fix the
 * value, payload and metadata; the rule, reason, error and cohort states are in the string;
 * the cohorts' as-of times are the snapshot's.
 */
export function compact(d: Decision | SurveyOffer): string {
  let states = '';
  for (const f of d.freshness) states += `${f.cohort}=${f.state};`;
  const rest = 'variant' in d ? `${d.variant}|${d.error_code ?? ''}` : '';
  return `${d.key}|${d.version}|${d.reason}|${d.rule_id ?? ''}|${rest}|${states}`;
}

function sameStates(states: readonly string[], d: Decision | SurveyOffer): boolean {
  const f = d.freshness;
  if (states.length !== 2 * f.length) return false;
  for (let i = 0; i < f.length; i++) if (states[2 * i] !== f[i].cohort || states[2 * i + 1] !== f[i].state) return false;
  return true;
}

/**
 * The entry of decision `d` in `cache[kind]` (`kind` also names the ETag line's letter:
 * f, c or s), created on first sight. Matching compares the compact form's fields one by one,
 * so equal entries have equal compact forms. (No closures: this runs 65 times per handshake.)
 */
export function entryOf(cache: Fragments, kind: 'flags' | 'configs' | 'surveys', d: Decision | SurveyOffer): DecisionEntry {
  const map = cache[kind];
  // Offers have no variant or error code (by kind: `in` on decisions of many shapes is slow).
  const offer = kind === 'surveys';
  const variant = offer ? undefined : (d as Decision).variant;
  const errorCode = offer ? undefined : (d as Decision).error_code;
  const list = map.get(d.key);
  if (list !== undefined) {
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (e.variant === variant && e.reason === d.reason && e.version === d.version && e.ruleId === d.rule_id && e.errorCode === errorCode && sameStates(e.states, d)) return e;
    }
  }
  const states: string[] = [];
  for (const f of d.freshness) states.push(f.cohort, f.state);
  const c = compact(d);
  const digest = createHash('sha1').update(`${kind === 'flags' ? 'f' : kind === 'configs' ? 'c' : 's'}${c}`).digest('base64url').slice(0, 16);
  const e: DecisionEntry = { version: d.version, variant, reason: d.reason, ruleId: d.rule_id, errorCode, states, compact: c, digest };
  if (cache.size < MAX_FRAGMENTS) {
    cache.size++;
    if (list === undefined) map.set(d.key, [e]);
    else list.push(e);
  }
  return e;
}
