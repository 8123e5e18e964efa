import type { Snapshot, FlagLike } from '../core/compiled.js';
import type { DecideAllResult, Decision, JsonValue } from '../core/types.js';
import { withReason } from '../core/decision-records.js';

const MESSAGE = 'membership and identity unavailable (Redis); serving the default';

/** The default value of a definition, or null when it has none (broken definitions). */
function defaultOf(def: FlagLike): { value: JsonValue; variant: string | null } {
  if (def.format === 'broken') return { value: null, variant: null };
  if (def.format === 'flagd') return { value: def.variants.get(def.defaultVariant) ?? null, variant: def.defaultVariant };
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

/** A last known result re-served while Redis is away: same values, reason STALE. */
export function staleCopy(result: DecideAllResult): DecideAllResult {
  const flags: Record<string, Decision> = {};
  const configs: Record<string, Decision> = {};
  for (const [k, d] of Object.entries(result.flags)) flags[k] = withReason(d, 'STALE');
  for (const [k, d] of Object.entries(result.configs)) configs[k] = withReason(d, 'STALE');
  return { flags, configs, surveys: result.surveys.map((s) => ({ ...s, reason: 'STALE' as const })) };
}

/** A bounded least-recently-used map of the last result per person (Map keeps insertion order). */
export function createLastKnown<T>(capacity: number) {
  const map = new Map<string, T>();
  return {
    get(key: string): T | undefined {
      return map.get(key);
    },
    set(key: string, value: T): void {
      if (map.has(key)) map.delete(key);
      else if (map.size >= capacity) map.delete(map.keys().next().value as string);
      map.set(key, value);
    },
  };
}
