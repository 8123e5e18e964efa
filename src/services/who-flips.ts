/**
 * "Who flips": before a flag or config is saved, how many known persons would get another
 * variant or value, with a sample of them (PRODUCT.md 14). The saved and the edited
 * definitions are both evaluated through the pure core over a sample of the project's
 * persons with their current cohort membership, bounded in persons and in time.
 */
import { AppError } from '../errors.js';
import { compileDefinition, compileOrBroken, evaluate, referencedCohorts } from '../core/index.js';
import type { CohortStatus, CompiledDefinition, Decision, DecisionInput, FlagLike, JsonValue } from '../core/index.js';
import type { ConsoleReads, SampledPerson } from '../ports/console-reads.js';

/** The kinds with a value to flip; surveys depend on response history and are not previewed. */
export type PreviewKind = 'flag' | 'config';

/** What one person is served, before or after. */
export interface Served {
  variant: string | null;
  value: JsonValue;
  reason: string;
  rule_id?: string;
}

export interface FlipPreview {
  key: string;
  kind: PreviewKind;
  /** the saved version compared against; null when the key is new */
  current_version: number | null;
  persons_total: number;
  /** persons read for the sample (most recently seen first) */
  sampled: number;
  /** persons evaluated before the time budget ran out (= sampled unless truncated) */
  evaluated: number;
  changed: number;
  truncated: boolean;
  elapsed_ms: number;
  /** counts per (before variant -> after variant), largest first */
  transitions: Array<{ from: string | null; to: string | null; count: number }>;
  /** up to `examples` persons who change */
  examples: Array<{ distinct_id: string; person_id: number; before: Served | null; after: Served }>;
}

export interface WhoFlipsDeps {
  reads: Pick<ConsoleReads, 'samplePersons' | 'personCount'>;
  /** the saved definition document and version, or null */
  saved(kind: PreviewKind, projectId: number, key: string): Promise<{ definition: Record<string, unknown>; version: number } | null>;
  /** non-archived cohorts of the project: id, key, state, last_calculated_at (ISO) */
  cohorts(projectId: number): Promise<Array<{ id: number; key: string; state: CohortStatus['state']; lastCalculatedAt: string | null }>>;
  /** one person's membership in several cohorts (one Redis round trip) */
  isMember(projectId: number, cohortIds: number[], member: { personId: number | null; distinctIds: string[] }): Promise<boolean[]>;
  now?: () => number;
  /** wall-clock budget of one preview (ms, default 3,000) */
  budgetMs?: number;
}

const served = (d: Decision): Served => ({ variant: d.variant, value: d.value, reason: d.reason, ...(d.rule_id ? { rule_id: d.rule_id } : {}) });
const sameServe = (a: Decision | null, b: Decision) => a !== null && a.variant === b.variant && JSON.stringify(a.value) === JSON.stringify(b.value);
/** The id shown for a person: its bucketing key when it still holds it, else its first id. */
const shownId = (p: SampledPerson) => (p.distinctIds.includes(p.bucketingKey) ? p.bucketingKey : p.distinctIds[0] ?? p.bucketingKey);

export function createWhoFlips(deps: WhoFlipsDeps) {
  const now = deps.now ?? Date.now;
  const budgetMs = deps.budgetMs ?? 3_000;

  /**
   * Compares the saved definition of `key` with `document` (the body a PUT would send).
   * `sample`: persons to evaluate (1..5000); `examples`: changed persons to return (0..200).
   * Throws 400 with every compile issue and its path when `document` would be refused on save.
   */
  async function preview(kind: PreviewKind, projectId: number, key: string, document: Record<string, unknown>, opts: { sample: number; examples: number }): Promise<FlipPreview> {
    const started = now();
    const saved = await deps.saved(kind, projectId, key);
    const compiled = compileDefinition(kind, { ...document, key, version: (saved?.version ?? 0) + 1 });
    if (!compiled.ok) {
      const first = compiled.errors[0];
      throw new AppError('invalid_request', `${first.path || '(definition)'}: ${first.message}`, { issues: compiled.errors });
    }
    const after = compiled.def as FlagLike;
    const before = saved ? (compileOrBroken(kind, { ...saved.definition, key, version: saved.version }) as FlagLike) : null;

    const cohorts = await deps.cohorts(projectId);
    const status = new Map<string, CohortStatus>(cohorts.map((c) => [c.key, { state: c.state, asOf: c.lastCalculatedAt }]));
    const wanted = new Set([...referencedCohorts(after as CompiledDefinition), ...(before ? referencedCohorts(before as CompiledDefinition) : [])]);
    const read = cohorts.filter((c) => wanted.has(c.key) && (c.state === 'active' || c.state === 'paused'));

    const [persons, total] = await Promise.all([deps.reads.samplePersons(projectId, opts.sample), deps.reads.personCount(projectId)]);
    const result: FlipPreview = {
      key, kind, current_version: saved?.version ?? null, persons_total: total, sampled: persons.length,
      evaluated: 0, changed: 0, truncated: false, elapsed_ms: 0, transitions: [], examples: [],
    };
    const transitions = new Map<string, { from: string | null; to: string | null; count: number }>();
    const at = now();
    // Membership is read 50 persons at a time (pipelined on one connection), then evaluated.
    for (let i = 0; i < persons.length; i += 50) {
      if (now() - started > budgetMs) {
        result.truncated = true;
        break;
      }
      const batch = persons.slice(i, i + 50);
      const memberships = await Promise.all(batch.map((p) => (read.length ? deps.isMember(projectId, read.map((c) => c.id), { personId: p.id, distinctIds: p.distinctIds }) : Promise.resolve([]))));
      batch.forEach((p, j) => {
        const input: DecisionInput = {
          distinctId: shownId(p),
          bucketingKey: p.bucketingKey,
          properties: p.properties,
          cohorts: new Set(read.filter((_, k) => memberships[j][k]).map((c) => c.key)),
          cohortStatus: status,
          now: at,
        };
        const a = evaluate(after, input);
        const b = before ? evaluate(before, input) : null;
        result.evaluated++;
        if (sameServe(b, a)) return;
        result.changed++;
        const id = `${b?.variant ?? ''}\u0000${a.variant ?? ''}`;
        const t = transitions.get(id) ?? { from: b?.variant ?? null, to: a.variant, count: 0 };
        t.count++;
        transitions.set(id, t);
        if (result.examples.length < opts.examples) result.examples.push({ distinct_id: input.distinctId, person_id: p.id, before: b ? served(b) : null, after: served(a) });
      });
    }
    result.transitions = [...transitions.values()].sort((x, y) => y.count - x.count);
    result.elapsed_ms = now() - started;
    return result;
  }

  return { preview };
}

export type WhoFlips = ReturnType<typeof createWhoFlips>;
