/** Pure helpers of the rule editor: ordering, rollout and split arithmetic in 0.001 % units. */

export type Rule = Record<string, unknown> & { id: string };

/** Moves the item at `from` to `to` (both in range), returning a new array. */
export function move<T>(list: readonly T[], from: number, to: number): T[] {
  if (from === to || from < 0 || to < 0 || from >= list.length || to >= list.length) return [...list];
  const out = [...list];
  const [item] = out.splice(from, 1);
  out.splice(to, 0, item);
  return out;
}

/** A percentage rounded to 0.001 % (one bucket), as the server stores it. */
export const roundPercent = (p: number): number => Math.round(Math.min(100, Math.max(0, p)) * 1000) / 1000;

/** Sum of split weights in thousandths of a percent (exact), and whether it is 100 %. */
export function splitTotal(weights: number[]): { milli: number; ok: boolean } {
  const milli = weights.reduce((s, w) => s + Math.round((Number.isFinite(w) ? w : 0) * 1000), 0);
  return { milli, ok: milli === 100_000 };
}

/** A rule id not used yet: `rule-1`, `rule-2`, ... */
export function freshRuleId(rules: readonly Rule[]): string {
  const ids = new Set(rules.map((r) => r.id));
  for (let i = rules.length + 1; ; i++) if (!ids.has(`rule-${i}`)) return `rule-${i}`;
}

/** Variant names of a flag document (boolean flags without variants have on/off). */
export function variantNames(doc: Record<string, unknown>): string[] {
  const v = doc.variants as Record<string, unknown> | undefined;
  return v && typeof v === 'object' ? Object.keys(v) : ['on', 'off'];
}
