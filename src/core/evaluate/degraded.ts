/**
 * Degraded mode (PRODUCT.md 12) as pure functions: the answers a handshake gives when Redis
 * cannot be read, from the snapshot alone (defaults) or from the variants last served to the
 * person (STALE).
 */
import type { Snapshot, FlagLike } from './compiled.js';
import type { DecideAllResult, Decision, JsonValue } from './types.js';

const MESSAGE = 'membership and identity unavailable (Redis); serving the default';

/** The default value of a definition, or null when it has none (broken definitions). */
function defaultOf(def: FlagLike): { value: JsonValue; variant: string | null } {
  if (def.format === 'broken') return { value: null, variant: null };
  if (def.format === 'flagd') return def.defaultVariant === null ? { value: null, variant: null } : { value: def.variants.get(def.defaultVariant) ?? null, variant: def.defaultVariant };
  return { value: def.variants.get(def.defaultVariant)?.value ?? null, variant: def.defaultVariant };
}

function defaultDecision(def: FlagLike): Decision {
  const d = defaultOf(def);
  return { key: def.key, value: d.value, variant: d.variant, reason: 'ERROR', error_code: 'GENERAL', error_message: MESSAGE, version: def.version, freshness: [] };
}

/**
 * Degraded mode (PRODUCT.md 12) when Redis is down or slow and no earlier result is known:
 * every flag and config answers its default with reason ERROR; no survey is offered.
 */
export function defaultsFor(snapshot: Snapshot, only?: ReadonlySet<string>): DecideAllResult {
  const flags: Record<string, Decision> = {};
  const configs: Record<string, Decision> = {};
  for (const def of snapshot.flags) if (!only || only.has(def.key)) flags[def.key] = defaultDecision(def);
  for (const def of snapshot.configs) if (!only || only.has(def.key)) configs[def.key] = defaultDecision(def);
  return { flags, configs, surveys: [] };
}

/** Where each flag's and config's variants sit in a snapshot, so a result encodes as numbers. */
export interface Layout {
  kinds: ('f' | 'c')[];
  keys: string[];
  /** variant names per definition, in a fixed order */
  names: string[][];
  index: Map<string, number>[];
  surveys: string[];
}

const layouts = new WeakMap<Snapshot, Layout>();

function variantNames(def: FlagLike): string[] {
  return def.format === 'broken' ? [] : [...def.variants.keys()];
}

function layoutOf(snapshot: Snapshot): Layout {
  let l = layouts.get(snapshot);
  if (!l) {
    const defs: Array<['f' | 'c', FlagLike]> = [...snapshot.flags.map((d) => ['f', d] as ['f', FlagLike]), ...snapshot.configs.map((d) => ['c', d] as ['c', FlagLike])];
    const names = defs.map(([, d]) => variantNames(d));
    l = {
      kinds: defs.map(([k]) => k),
      keys: defs.map(([, d]) => d.key),
      names,
      index: names.map((n) => new Map(n.map((name, i) => [name, i + 1]))),
      surveys: snapshot.surveys.map((d) => d.key),
    };
    layouts.set(snapshot, l);
  }
  return l;
}

/**
 * The variants a person was served, kept per person for degraded mode: one small typed array
 * (variant number per definition, 0 for none; 1 per offered survey) plus the layout that
 * names them. Not decision objects or long strings: retaining thousands of those made every
 * GC trace or copy them (bench/decide.ts measured ~+25 % CPU per handshake).
 */
export interface Remembered {
  layout: Layout;
  codes: Uint16Array;
}

export function rememberOf(snapshot: Snapshot, result: DecideAllResult): Remembered {
  const layout = layoutOf(snapshot);
  const n = layout.keys.length;
  const codes = new Uint16Array(n + layout.surveys.length);
  for (let i = 0; i < n; i++) {
    const d = (layout.kinds[i] === 'f' ? result.flags : result.configs)[layout.keys[i]];
    if (d && d.variant !== null && d.reason !== 'ERROR') codes[i] = layout.index[i].get(d.variant) ?? 0;
  }
  if (result.surveys.length) {
    const offered = new Set(result.surveys.map((s) => s.key));
    layout.surveys.forEach((k, j) => (codes[n + j] = offered.has(k) ? 1 : 0));
  }
  return { layout, codes };
}

function variantValue(def: FlagLike, variant: string): { found: boolean; value: JsonValue } {
  if (def.format === 'broken') return { found: false, value: null };
  if (def.format === 'flagd') return { found: def.variants.has(variant), value: def.variants.get(variant) ?? null };
  const v = def.variants.get(variant);
  return { found: v !== undefined, value: v?.value ?? null };
}

/**
 * The last known result rebuilt from `rememberOf` (possibly made with an older snapshot) and
 * the current snapshot, with reason STALE: the same variants with their current values; keys
 * without a remembered variant answer their default with reason ERROR; remembered surveys
 * are offered again.
 */
export function staleFrom(snapshot: Snapshot, known: Remembered, only?: ReadonlySet<string>): DecideAllResult {
  const { layout, codes } = known;
  const remembered = new Map<string, string>();
  for (let i = 0; i < layout.keys.length; i++) if (codes[i] > 0) remembered.set(`${layout.kinds[i]}${layout.keys[i]}`, layout.names[i][codes[i] - 1]);
  const fresh = defaultsFor(snapshot, only);
  const stale = (kind: 'f' | 'c', defs: readonly FlagLike[], into: Record<string, Decision>) => {
    for (const def of defs) {
      const variant = remembered.get(`${kind}${def.key}`);
      if (variant === undefined || !into[def.key]) continue;
      const { found, value } = variantValue(def, variant);
      if (found) into[def.key] = { key: def.key, value, variant, reason: 'STALE', version: def.version, freshness: [] };
    }
  };
  stale('f', snapshot.flags, fresh.flags);
  stale('c', snapshot.configs, fresh.configs);
  const offered = new Set(layout.surveys.filter((_, j) => codes[layout.keys.length + j] === 1));
  for (const def of snapshot.surveys) {
    if (def.format === 'broken' || !offered.has(def.key) || (only && !only.has(def.key))) continue;
    fresh.surveys.push({ key: def.key, name: def.name, questions: [...def.questions], triggers: { events: [...def.triggers.events], url_pattern: def.triggers.url_pattern, delay_ms: def.triggers.delay_ms }, reason: 'STALE', version: def.version, freshness: [] });
  }
  return fresh;
}
