/**
 * Pure evaluation, no I/O (issue 15): Switchboard's `decideAll` over the 65 definitions of the
 * bench project (50 flags, 10 configs, 5 surveys) for one person, next to
 * `@openfeature/flagd-core`'s `resolveAll` over the same 50 flags written in flagd's format, in
 * the same run with tinybench. Target: decideAll ≤ 25 µs and ahead of flagd-core for 50 flags.
 *
 * The flagd translation keeps each flag's logic: a cohort rule becomes `in` over a `cohorts`
 * array the caller puts in the context (flagd has no materialized cohorts), a rollout or a
 * split becomes `fractional` over the targeting key, JSON Logic conditions stay as they are
 * (sem_ver and starts_with are flagd operators), static flags have no targeting and killed
 * ones are DISABLED. Config values and survey offers have no flagd counterpart (they are the
 * 15 extra definitions Switchboard evaluates).
 * `npx tsx bench/evaluate-peers.ts` alone, or as part of `npm run bench:decide`.
 */
import { FlagdCore } from '@openfeature/flagd-core';
import { Bench } from 'tinybench';
import { compileOrBroken, createSnapshot, decideAll, type CohortStatus, type DecisionInput } from '../src/core/index.js';
import { COHORTS, cohortKey, cohortMembers, configs, flags, persons, surveys } from './fixtures.js';

type Json = Record<string, unknown>;

const cohortCondition = (c: Json): unknown => {
  const member = (k: string) => ({ in: [k, { var: 'cohorts' }] });
  if (c.any) return { or: (c.any as string[]).map(member) };
  if (c.all) return { and: (c.all as string[]).map(member) };
  return { '!': { or: (c.none as string[]).map(member) } };
};
const fractional = (split: Array<[string, number]>) => ({ fractional: split });

/** The bench's 50 flags in flagd's flag definition format (see the header). */
export function flagdConfiguration(): string {
  const out: Record<string, Json> = {};
  for (const f of flags()) {
    const key = f.key as string;
    if (f.state) {
      out[key] = { state: f.state, variants: f.variants, defaultVariant: f.defaultVariant, targeting: f.targeting };
      continue;
    }
    const variants = f.variants ? Object.fromEntries(Object.entries(f.variants as Record<string, { value: unknown }>).map(([k, v]) => [k, v.value])) : { on: true, off: false };
    const rules = (f.rules ?? []) as Json[];
    let targeting: unknown;
    // Rules in order, innermost last: each one "if it matches, serve; else the next".
    for (let r = rules.length - 1; r >= 0; r--) {
      const rule = rules[r];
      const serve = rule.serve as Json | undefined;
      let then: unknown = serve?.variant ?? 'on';
      if (serve?.split) then = fractional((serve.split as Array<{ variant: string; weight: number }>).map((s) => [s.variant, s.weight]));
      const conds: unknown[] = [];
      if (rule.cohorts) conds.push(cohortCondition(rule.cohorts as Json));
      if (rule.condition) conds.push(rule.condition);
      const fallback = targeting ?? f.default_variant;
      if (rule.rollout !== undefined) then = { if: [{ '==': [{ fractional: [['in', rule.rollout as number], ['out', 100 - (rule.rollout as number)]] }, 'in'] }, then, fallback] };
      targeting = conds.length === 0 ? then : { if: [conds.length === 1 ? conds[0] : { and: conds }, then, fallback] };
    }
    out[key] = { state: f.enabled ? 'ENABLED' : 'DISABLED', variants, defaultVariant: f.enabled ? f.default_variant : f.off_variant, ...(targeting === undefined ? {} : { targeting }) };
  }
  return JSON.stringify({ flags: out });
}

export interface EvaluationResult {
  tool: string;
  switchboard_decide_all_65: { mean_us: number; p50_us: number; p99_us: number; definitions: number };
  flagd_core_resolve_all_50: { mean_us: number; p50_us: number; p99_us: number; flags: number; version: string };
}

/** Runs both in one tinybench run (~3 s) and returns µs per evaluation of one person. */
export async function benchEvaluation(timeMs = 1_000): Promise<EvaluationResult> {
  const definitions = [
    ...flags().map((d) => ['flag', d] as const),
    ...configs().map((d) => ['config', d] as const),
    ...surveys().map((d) => ['survey', d] as const),
  ];
  const snapshot = createSnapshot(definitions.map(([kind, d]) => compileOrBroken(kind, { ...d, version: 1 })));
  const now = Date.now();
  const people = persons().slice(0, 1000);
  const members = cohortMembers();
  const cohortStatus = new Map<string, CohortStatus>(Array.from({ length: COHORTS }, (_, j) => [cohortKey(j), { state: 'active', asOf: new Date(now - 60_000).toISOString() }]));
  const cohortsOf = people.map((_, i) => members.flatMap((m, j) => (m.includes(i) ? [cohortKey(j)] : [])));
  const inputs: DecisionInput[] = people.map((p, i) => ({
    distinctId: p.distinctId,
    bucketingKey: p.distinctId,
    properties: p.properties,
    cohorts: new Set(cohortsOf[i]),
    cohortStatus,
    now,
    surveyHistory: { answered: new Set(), lastShownAt: null, responses: new Map([['survey-0', 10], ['survey-1', 10]]) },
  }));
  const core = new FlagdCore();
  core.setConfigurations(flagdConfiguration());
  const contexts = people.map((p, i) => ({ targetingKey: p.distinctId, ...p.properties, cohorts: cohortsOf[i] }));
  const resolved = core.resolveAll(contexts[0]);
  const failed = resolved.filter((r) => r.errorCode);
  // resolveAll leaves DISABLED flags out (the 2 killed ones): 48 answers for 50 flags.
  if (resolved.length !== 48 || failed.length) throw new Error(`flagd-core resolved ${resolved.length} flags, ${failed.length} errors: ${JSON.stringify(failed[0])}`);

  let k = 0;
  let j = 0;
  const bench = new Bench({ time: timeMs, warmupTime: 300 });
  bench
    .add('switchboard decideAll (50 flags, 10 configs, 5 surveys)', () => {
      decideAll(snapshot, inputs[k++ % inputs.length]);
    })
    .add('@openfeature/flagd-core resolveAll (50 flags)', () => {
      core.resolveAll(contexts[j++ % contexts.length]);
    });
  await bench.run();
  const stats = (i: number) => {
    const r = bench.tasks[i].result as { latency: { mean: number; p50?: number; p99?: number } };
    const us = (ms: number | undefined) => Math.round((ms ?? NaN) * 10_000) / 10;
    return { mean_us: us(r.latency.mean), p50_us: us(r.latency.p50), p99_us: us(r.latency.p99) };
  };
  const { createRequire } = await import('node:module');
  const version = (createRequire(import.meta.url)('@openfeature/flagd-core/package.json') as { version: string }).version;
  return {
    tool: 'tinybench, one person per call, 1,000 persons in turn, in the load generator process',
    switchboard_decide_all_65: { ...stats(0), definitions: definitions.length },
    flagd_core_resolve_all_50: { ...stats(1), flags: 50, version },
  };
}

if (process.argv[1]?.endsWith('evaluate-peers.ts')) {
  console.log(JSON.stringify(await benchEvaluation(), null, 2));
}
