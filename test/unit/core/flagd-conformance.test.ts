/**
 * Runs the flagd conformance corpus (test/cases/flagd/*.json) against the pure core:
 * compileFlag / compileOrBroken, createSnapshot and decideFlag, as a service would.
 *
 * The corpus says what flagd's Go evaluator answers (docs/flagd-semantics.md); every case
 * must agree. Cases whose sources could not settle the answer carry a `decision` saying
 * what Switchboard chose, and the code follows it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { compileFlag, compileOrBroken, createSnapshot, decideFlag, murmurhash3, type DecisionInput, type JsonValue } from '../../../src/core/index.js';
import { caseId, definitionsOf, disagreement, loadCorpus, type FlagdCase } from '../../helpers/flagd-corpus.js';

const NOW = 1_700_000_000_000;

/**
 * The decision input for an OFREP context, as the OFREP route builds it: a non-empty string
 * `targetingKey` is the distinct_id; anything else (absent, "", a number, an object) makes a
 * keyless input that passes `targetingKey` through as sent. A non-object context is ignored,
 * as flagd ignores it; the rest of an object context becomes the properties.
 */
function inputOf(context: unknown): DecisionInput {
  const record = typeof context === 'object' && context !== null && !Array.isArray(context) ? (context as Record<string, unknown>) : {};
  const { targetingKey, ...properties } = record;
  const base = { properties, cohorts: new Set<string>(), cohortStatus: new Map(), now: NOW };
  if (typeof targetingKey === 'string' && targetingKey !== '') return { ...base, distinctId: targetingKey, bucketingKey: targetingKey };
  const keyless = 'targetingKey' in record ? { targetingKey: targetingKey as JsonValue } : {};
  return { ...base, distinctId: '', bucketingKey: '', keyless };
}

/** Why the core's answer differs from flagd's, or null. */
function coreDisagreement(c: FlagdCase): string | null {
  const definitions = definitionsOf(c);
  if (c.expected.loadError !== undefined) {
    const refused = definitions.some((d) => !compileFlag(d).ok);
    return refused ? null : `flagd refuses this document (${c.expected.loadError}); the core compiles it`;
  }
  const snapshot = createSnapshot(definitions.map((d) => compileOrBroken('flag', d)));
  const d = decideFlag(snapshot, c.requestKey ?? c.flagKey, inputOf(c.context));
  const why = disagreement(c.expected, { value: d.value, variant: d.variant, reason: d.reason, errorCode: d.error_code, metadata: d.metadata });
  if (why !== null) return why;
  for (const key of c.absentMetadataKeys ?? []) if (d.metadata && key in d.metadata) return `metadata.${key} should be absent`;
  return null;
}

const corpus = loadCorpus();
const outcomes = new Map<string, string | null>();

describe('flagd conformance corpus: data', () => {
  it('every case has a source and a unique name within its file', () => {
    for (const f of corpus) {
      const names = new Set<string>();
      for (const c of f.cases) {
        expect(c.source, `${f.file}: ${c.name}`).toBeTruthy();
        expect(names.has(c.name), `${f.file}: duplicate ${c.name}`).toBe(false);
        names.add(c.name);
      }
    }
  });

  it('fractional hash annotations match MurmurHash3 over UTF-8 and (hash * total) >> 32', () => {
    let checked = 0;
    for (const f of corpus) {
      for (const c of f.cases) {
        if (!c.hash) continue;
        expect(murmurhash3(c.hash.input), c.name).toBe(c.hash.murmur3);
        expect(Number((BigInt(c.hash.murmur3) * BigInt(c.hash.totalWeight)) >> 32n), c.name).toBe(c.hash.bucket);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });
});

for (const f of corpus) {
  describe(`flagd conformance (core): ${f.file}`, () => {
    for (const c of f.cases) {
      if (c.ofrepOnly) continue;
      const id = caseId(f.file, c);
      it(c.name, () => {
        const why = coreDisagreement(c);
        outcomes.set(id, why);
        if (why !== null) throw new Error(why);
      });
    }
  });
}

afterAll(() => {
  const failing = [...outcomes].filter(([, why]) => why !== null).map(([id]) => id);
  // Printed so the run shows where the core stands; see docs/flagd-semantics.md for why.
  console.log(`flagd conformance (core): ${outcomes.size - failing.length} of ${outcomes.size} cases agree with flagd`);
});
