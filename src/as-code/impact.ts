/**
 * `rules plan --impact` (issue 18): for each flag or config a plan creates, changes or
 * (with --prune) removes, how many known persons would get a different variant or value,
 * with a sample of distinct_ids and their before/after. Old and new definitions are
 * compiled by the core and evaluated over every person of the project (streamed from
 * PostgreSQL) with the cohort membership decisions read now (the live Redis sets, loaded
 * once per referenced cohort), through the pure core (`decideAll`), so the counts are what
 * handshakes would answer at this moment. Request-time properties and aliases that a client
 * would send are not known here: persons are evaluated with their stored properties, their
 * bucketing key as distinct_id.
 */
import { compileOrBroken, createSnapshot, decideAll, referencedCohorts, type CohortStatus, type CompiledDefinition, type DecisionInput } from '../core/index.js';
import { canonicalJson } from './canonical-json.js';
import type { Plan, RulesDeps } from './plan.js';
import { documentOf, type DefinitionSpec } from './validate-definition.js';

/** A person as impact reads it. */
export interface ImpactPerson {
  personId: number;
  distinctId: string;
  properties: Record<string, unknown>;
}

/** Where persons and membership come from (adapters: postgres/person-scan.ts, redis/membership-scan.ts). */
export interface ImpactSource {
  persons(projectId: number, pageSize?: number): AsyncIterable<ImpactPerson[]>;
  liveMembers(projectId: number, cohortId: number): Promise<{ version: number; members: Set<string> } | null>;
}

/** One changed flag or config: how many persons' answers change, and some of them. */
export interface DefinitionImpact {
  kind: 'flag' | 'config';
  key: string;
  action: 'create' | 'update' | 'remove';
  persons: number;
  changed: number;
  /** up to `sample` persons whose answer changes: `before`/`after` are `variant` (flags) or `value` (configs); null = no answer */
  sample: Array<{ distinct_id: string; before: unknown; after: unknown }>;
}

export interface ImpactReport {
  persons: number;
  durationMs: number;
  /** of durationMs: waiting for pages of persons (PostgreSQL) vs deciding (the core, both snapshots) */
  readMs: number;
  decideMs: number;
  definitions: DefinitionImpact[];
}

type Answer = { value: unknown; variant: string | null } | null;

const answerOf = (d: { value: unknown; variant: string | null } | undefined): Answer => (d ? { value: d.value, variant: d.variant } : null);

/** Same answer? Variants and primitive values compare directly; only objects go through canonical JSON. */
function sameAnswer(a: Answer, b: Answer): boolean {
  if (a === null || b === null) return a === b;
  if (a.variant !== b.variant) return false;
  if (a.value === b.value) return true;
  if (typeof a.value !== 'object' || typeof b.value !== 'object' || a.value === null || b.value === null) return false;
  return canonicalJson(a.value) === canonicalJson(b.value);
}
const shown = (kind: 'flag' | 'config', a: Answer) => (a === null ? null : kind === 'flag' ? (a.variant ?? a.value) : a.value);

/**
 * Evaluates the plan's flag and config changes over the project's persons. `now` is unix ms
 * (the evaluation time of every decision), `sample` the number of examples per definition.
 */
export async function planImpact(
  plan: Plan,
  deps: Pick<RulesDeps, 'definitions' | 'cohorts'> & { source: ImpactSource },
  opts: { now: number; sample?: number; pageSize?: number; clock?: () => number },
): Promise<ImpactReport> {
  const clock = opts.clock ?? (() => performance.now());
  const started = clock();
  const projectId = plan.project.id;
  const targets: Array<{ kind: 'flag' | 'config'; key: string; action: DefinitionImpact['action'] }> = [];
  const before: CompiledDefinition[] = [];
  const after: CompiledDefinition[] = [];
  for (const c of plan.changes) {
    if ((c.kind !== 'flag' && c.kind !== 'config') || c.action === 'unchanged') continue;
    const spec = c.spec as DefinitionSpec;
    targets.push({ kind: c.kind, key: c.key, action: c.action });
    after.push(compileOrBroken(c.kind, { ...spec.document, key: c.key, version: (c.currentVersion ?? 0) + 1 }));
    if (c.action === 'update') before.push(compileOrBroken(c.kind, { ...documentOf(await deps.definitions.get(c.kind, projectId, c.key)), key: c.key, version: c.currentVersion! }));
  }
  if (plan.prune) {
    for (const u of plan.untracked) {
      if (u.kind !== 'flag' && u.kind !== 'config') continue;
      const view = await deps.definitions.get(u.kind, projectId, u.key);
      targets.push({ kind: u.kind, key: u.key, action: 'remove' });
      before.push(compileOrBroken(u.kind, { ...documentOf(view), key: u.key, version: view.version }));
    }
  }
  const report: ImpactReport = { persons: 0, durationMs: 0, readMs: 0, decideMs: 0, definitions: targets.map((t) => ({ ...t, persons: 0, changed: 0, sample: [] })) };
  if (targets.length === 0) return report;

  // Cohorts the old or new rules read: state and as-of from the project, members from Redis.
  const wanted = new Set([...before, ...after].flatMap(referencedCohorts));
  const status = new Map<string, CohortStatus>();
  const members: Array<{ key: string; set: Set<string> }> = [];
  for (let afterId = 0; ; ) {
    const page = await deps.cohorts.list(projectId, { includeArchived: false, afterId, limit: 500 });
    for (const c of page) {
      status.set(c.key, { state: c.state, asOf: c.lastCalculatedAt });
      if (!wanted.has(c.key)) continue;
      const live = await deps.source.liveMembers(projectId, c.id);
      if (live) members.push({ key: c.key, set: live.members });
      else status.set(c.key, { state: 'unavailable', asOf: null });
    }
    if (page.length < 500) break;
    afterId = page[page.length - 1].id;
  }

  const oldSnap = createSnapshot(before);
  const newSnap = createSnapshot(after);
  const sample = opts.sample ?? 10;
  const byKey = report.definitions;
  const pages = deps.source.persons(projectId, opts.pageSize)[Symbol.asyncIterator]();
  for (;;) {
    const waited = clock();
    const next = await pages.next();
    const deciding = clock();
    report.readMs += deciding - waited;
    if (next.done) break;
    for (const p of next.value) {
      const id = String(p.personId);
      const cohorts = new Set<string>();
      for (const m of members) if (m.set.has(id) || m.set.has(`d:${p.distinctId}`)) cohorts.add(m.key);
      const input: DecisionInput = { distinctId: p.distinctId, bucketingKey: p.distinctId, properties: p.properties, cohorts, cohortStatus: status, now: opts.now };
      const was = decideAll(oldSnap, input);
      const now = decideAll(newSnap, input);
      report.persons++;
      for (const d of byKey) {
        d.persons++;
        const a = answerOf(d.kind === 'flag' ? was.flags[d.key] : was.configs[d.key]);
        const b = answerOf(d.kind === 'flag' ? now.flags[d.key] : now.configs[d.key]);
        if (sameAnswer(a, b)) continue;
        d.changed++;
        if (d.sample.length < sample) d.sample.push({ distinct_id: p.distinctId, before: shown(d.kind, a), after: shown(d.kind, b) });
      }
    }
    report.decideMs += clock() - deciding;
  }
  report.readMs = Math.round(report.readMs);
  report.decideMs = Math.round(report.decideMs);
  report.durationMs = Math.round(clock() - started);
  return report;
}

/** Text lines: `~ flag new-checkout: 1,234 of 4,372 persons change (28.2 %)`, then the sample. */
export function impactLines(report: ImpactReport): string[] {
  const s1 = (ms: number) => (ms / 1000).toFixed(1);
  const out = [`Impact over ${report.persons.toLocaleString('en-US')} persons (${s1(report.durationMs)} s: ${s1(report.readMs)} s reading persons, ${s1(report.decideMs)} s deciding):`];
  for (const d of report.definitions) {
    const pct = d.persons ? ((100 * d.changed) / d.persons).toFixed(1) : '0.0';
    out.push(`  ${d.kind} ${d.key} (${d.action}): ${d.changed.toLocaleString('en-US')} of ${d.persons.toLocaleString('en-US')} persons change (${pct} %)`);
    for (const s of d.sample) out.push(`      ${s.distinct_id}: ${JSON.stringify(s.before)} -> ${JSON.stringify(s.after)}`);
  }
  return out;
}
