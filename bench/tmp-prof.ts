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
const at = new Date();
const mode = process.argv[2] ?? '200';
const t0 = performance.now();
const N = 20000;
for (let i = 0; i < N; i++) {
  if (mode === 'decide') decideAll(core, inputs[i % 1000]);
  else handshakeResponse(outcomes[i % 1000], mode === '304' ? '"x"' : undefined, at);
}
console.log(mode, ((performance.now() - t0) / N * 1000).toFixed(1), 'µs/op');
