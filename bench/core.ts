/**
 * Micro-benchmarks (tinybench, no I/O) of the pieces of one handshake, on the bench's
 * synthetic project: compiling all 65 definitions, deciding everything for one person, and
 * the route's serialization (JSON.stringify, the snapshot block, the sha1 ETag).
 * `npx tsx bench/core.ts` — about 10 s.
 */
import { createHash } from 'node:crypto';
import { Bench } from 'tinybench';
import { compileOrBroken, decideAll, createSnapshot, type CohortStatus, type DecisionInput } from '../src/core/index.js';
import { configs, cohortKey, cohortMembers, COHORTS, flags, persons, surveys } from './fixtures.js';

const definitions = [
  ...flags().map((d) => ['flag', d] as const),
  ...configs().map((d) => ['config', d] as const),
  ...surveys().map((d) => ['survey', d] as const),
];
const compileAll = () => createSnapshot(definitions.map(([kind, d]) => compileOrBroken(kind, { ...d, version: 1 })));
const snapshot = compileAll();
const broken = [...snapshot.flags, ...snapshot.configs, ...snapshot.surveys].filter((d) => d.format === 'broken');
if (broken.length) throw new Error(`broken definitions: ${broken.map((d) => d.key).join(', ')}`);

const now = Date.now();
const people = persons();
const members = cohortMembers();
const cohortStatus = new Map<string, CohortStatus>(Array.from({ length: COHORTS }, (_, j) => [cohortKey(j), { state: 'active', asOf: new Date(now - 60_000).toISOString() }]));
const inputs: DecisionInput[] = people.slice(0, 1000).map((p, i) => ({
  distinctId: p.distinctId,
  bucketingKey: p.distinctId,
  properties: p.properties,
  cohorts: new Set(members.flatMap((m, j) => (m.includes(i) ? [cohortKey(j)] : []))),
  cohortStatus,
  now,
  surveyHistory: { answered: new Set(), lastShownAt: null, responses: new Map([['survey-0', 10], ['survey-1', 10]]) },
}));

// The route's payload, as src/http/routes/decide.ts builds it.
const snapshotBlock = () => {
  const cohorts: Record<string, { state: string; version: number; as_of: string | null }> = {};
  for (const [key, s] of cohortStatus) cohorts[key] = { state: s.state, version: 1, as_of: s.asOf === null ? null : new Date(s.asOf).toISOString() };
  return { version: 66, cohorts, degraded: false };
};
const result = decideAll(snapshot, inputs[0]);
const payload = { flags: result.flags, configs: result.configs, surveys: result.surveys, snapshot: snapshotBlock() };
const json = JSON.stringify(payload);
const snapshotJson = JSON.stringify(snapshotBlock());
console.log(`body ${Buffer.byteLength(json)} bytes; ${Object.keys(result.flags).length} flags, ${Object.keys(result.configs).length} configs, ${result.surveys.length} surveys`);

// What one handshake serializes, for 1,000 different persons.
const results = inputs.map((input) => decideAll(snapshot, input));

/**
 * The "serialize each decision once per snapshot" idea measured in docs/performance.md: a
 * decision's JSON depends only on (key, variant, reason, rule, error, cohorts read) within one
 * snapshot, so it can be cached and the body assembled from cached fragments.
 */
type D = { key: string; variant?: string | null; reason: string; rule_id?: string; error_code?: string; error_message?: string; freshness?: Array<{ cohort: string }> };
const memo = new Map<string, string>();
function decisionsJson(decisions: Record<string, D>): string {
  let out = '{';
  let first = true;
  for (const key in decisions) {
    const d = decisions[key];
    let f = '';
    if (d.freshness) for (const e of d.freshness) f += `${e.cohort},`;
    const mk = `${d.key}\u0000${d.variant}\u0000${d.reason}\u0000${d.rule_id}\u0000${d.error_code}\u0000${d.error_message}\u0000${f}`;
    let j = memo.get(mk);
    if (j === undefined) memo.set(mk, (j = JSON.stringify(d)));
    out += `${first ? '' : ','}${JSON.stringify(key)}:${j}`;
    first = false;
  }
  return `${out}}`;
}
for (const r of results) {
  const a = JSON.stringify({ flags: r.flags, configs: r.configs });
  const b = `{"flags":${decisionsJson(r.flags as unknown as Record<string, D>)},"configs":${decisionsJson(r.configs as unknown as Record<string, D>)}}`;
  if (a !== b) throw new Error('memoized serialization differs from JSON.stringify');
}
console.log(`memoized fragments: ${memo.size} distinct decision JSONs over ${results.length} persons × 60 decisions`);

let k = 0;
const bench = new Bench({ time: 1_000, warmupTime: 300 });
bench
  .add('compile 65 definitions + snapshot', () => {
    compileAll();
  })
  .add('decideAll (50 flags, 10 configs, 5 surveys), 1 person', () => {
    decideAll(snapshot, inputs[k++ % inputs.length]);
  })
  .add('snapshot block (20 cohorts, toISOString)', () => {
    snapshotBlock();
  })
  .add('JSON.stringify handshake payload (1,000 persons in turn)', () => {
    const r = results[k++ % results.length];
    JSON.stringify({ flags: r.flags, configs: r.configs, surveys: r.surveys, snapshot: payload.snapshot });
  })
  .add('same body from memoized decision fragments + snapshot JSON cached', () => {
    const r = results[k++ % results.length];
    void `{"flags":${decisionsJson(r.flags as unknown as Record<string, D>)},"configs":${decisionsJson(r.configs as unknown as Record<string, D>)},"surveys":${JSON.stringify(r.surveys)},"snapshot":${snapshotJson}}`;
  })
  .add('sha1 base64url of the body (ETag)', () => {
    createHash('sha1').update(json).digest('base64url');
  })
  .add('route work today: snapshot block + stringify + sha1 + splice', () => {
    const s = JSON.stringify({ ...payload, snapshot: snapshotBlock() });
    createHash('sha1').update(s).digest('base64url');
    void `${s.slice(0, -1)},"generated_at":${JSON.stringify(new Date().toISOString())}}`;
  })
  .add('route work, snapshot block serialized once per snapshot', () => {
    const s = `${JSON.stringify({ flags: payload.flags, configs: payload.configs, surveys: payload.surveys }).slice(0, -1)},"snapshot":${snapshotJson}}`;
    createHash('sha1').update(s).digest('base64url');
    void `${s.slice(0, -1)},"generated_at":${JSON.stringify(new Date().toISOString())}}`;
  })
  .add('whole pure part: decideAll + route work today', () => {
    const r = decideAll(snapshot, inputs[k++ % inputs.length]);
    const s = JSON.stringify({ flags: r.flags, configs: r.configs, surveys: r.surveys, snapshot: snapshotBlock() });
    createHash('sha1').update(s).digest('base64url');
  });

await bench.run();
console.table(
  bench.tasks.map((t) => {
    const r = t.result as { latency?: { mean: number; p50?: number; p99?: number }; throughput?: { mean: number } } | undefined;
    return {
      task: t.name,
      'mean µs': r?.latency ? Math.round(r.latency.mean * 1000 * 10) / 10 : NaN,
      'p50 µs': r?.latency?.p50 !== undefined ? Math.round(r.latency.p50 * 1000 * 10) / 10 : NaN,
      'p99 µs': r?.latency?.p99 !== undefined ? Math.round(r.latency.p99 * 1000 * 10) / 10 : NaN,
      'ops/s': r?.throughput ? Math.round(r.throughput.mean) : NaN,
    };
  }),
);
