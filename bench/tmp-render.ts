import { Bench } from 'tinybench';
import { compileOrBroken, decideAll, createSnapshot, type CohortStatus, type DecisionInput } from '../src/core/index.js';
import { configs, cohortKey, cohortMembers, COHORTS, flags, persons, surveys } from './fixtures.js';
import { handshakeResponse } from '../src/http/edge/handshake.js';

const definitions = [...flags().map((d) => ['flag', d] as const), ...configs().map((d) => ['config', d] as const), ...surveys().map((d) => ['survey', d] as const)];
const core = createSnapshot(definitions.map(([kind, d]) => compileOrBroken(kind as any, { ...d, version: 1 })));
const now = Date.now();
const people = persons();
const members = cohortMembers();
const cohortStatus = new Map<string, CohortStatus>(Array.from({ length: COHORTS }, (_, j) => [cohortKey(j), { state: 'active', asOf: new Date(now - 60_000).toISOString() }]));
const inputs: DecisionInput[] = people.slice(0, 1000).map((p, i) => ({ distinctId: p.distinctId, bucketingKey: p.distinctId, properties: p.properties, cohorts: new Set(members.flatMap((m, j) => (m.includes(i) ? [cohortKey(j)] : []))), cohortStatus, now, surveyHistory: { answered: new Set(), lastShownAt: null, responses: new Map() } as any }));
const results = inputs.map((input) => decideAll(core, input));
const snap: any = { version: 1, readCohorts: [...cohortStatus].map(([key, s], i) => ({ key, id: i, state: s.state, version: 1, asOf: now })) };
const outcomes = results.map((result) => ({ result, snapshot: snap, personId: 1, bucketingKey: 'x', degraded: false, unavailableCohorts: [], timing: { gatherMs: 0, evaluateMs: 0 } })) as any[];
let k = 0;
const at = new Date();
const b = new Bench({ time: 2000, warmupTime: 500 });
b.add('handshakeResponse 200 (fragments)', () => { handshakeResponse(outcomes[k++ % 1000], undefined, at); })
 .add('handshakeResponse 304', () => { const o = outcomes[k++ % 1000]; handshakeResponse(o, '"nomatch"', at); })
 .add('old: stringify sections', () => { const r = outcomes[k++ % 1000].result; void `{"flags":${JSON.stringify(r.flags)},"configs":${JSON.stringify(r.configs)},"surveys":${JSON.stringify(r.surveys)}}`; })
 .add('decideAll', () => { decideAll(core, inputs[k++ % 1000]); });
await b.run();
console.table(b.tasks.map((t: any) => ({ task: t.name, 'p50 µs': Math.round(t.result.latency.p50 * 10000) / 10, 'mean µs': Math.round(t.result.latency.mean * 10000) / 10 })));
import { createHash } from 'node:crypto';
const b2 = new Bench({ time: 2000, warmupTime: 500 });
const sample = 'x'.repeat(4000);
b2.add('sha1 4KB', () => { createHash('sha1').update(sample).digest('base64url'); })
  .add('compact strings only', () => {
    const r = outcomes[k++ % 1000].result; let s = '';
    for (const key in r.flags) { const d = r.flags[key]; let st = ''; for (const f of d.freshness) st += `${f.cohort}=${f.state};`; s += `f${d.key}|${d.version}|${d.reason}|${d.rule_id ?? ''}|${d.variant}|${d.error_code ?? ''}|${st}\n`; }
    for (const key in r.configs) { const d = r.configs[key]; let st = ''; for (const f of d.freshness) st += `${f.cohort}=${f.state};`; s += `c${d.key}|${d.version}|${d.reason}|${d.rule_id ?? ''}|${d.variant}|${d.error_code ?? ''}|${st}\n`; }
    return s.length;
  })
  .add('compact + sha1', () => {
    const r = outcomes[k++ % 1000].result; let s = '';
    for (const key in r.flags) { const d = r.flags[key]; let st = ''; for (const f of d.freshness) st += `${f.cohort}=${f.state};`; s += `f${d.key}|${d.version}|${d.reason}|${d.rule_id ?? ''}|${d.variant}|${d.error_code ?? ''}|${st}\n`; }
    createHash('sha1').update(s).digest('base64url');
  });
await b2.run();
console.table(b2.tasks.map((t: any) => ({ task: t.name, 'p50 µs': Math.round(t.result.latency.p50 * 10000) / 10, 'mean µs': Math.round(t.result.latency.mean * 10000) / 10 })));
