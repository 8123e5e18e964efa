import { describe, expect, it } from 'vitest';
import { compileOrBroken, createSnapshot, decideAll, defaultsFor, rememberOf, staleFrom } from '../../../src/core/index.js';

const flag = (key: string, variants: string[], serve: string, version = 1) =>
  compileOrBroken('flag', {
    key, version, enabled: true, default_variant: variants[0], off_variant: variants[0],
    variants: Object.fromEntries(variants.map((v) => [v, { value: v }])),
    rules: [{ id: 'r', serve: { variant: serve } }],
  });
const input = { distinctId: 'u', bucketingKey: 'u', properties: {}, cohorts: new Set<string>(), cohortStatus: new Map(), now: 0 };

describe('degraded mode results', () => {
  it('re-serves the remembered variants as STALE, also after the snapshot changed', () => {
    const before = createSnapshot([flag('a', ['x', 'y'], 'y'), flag('b', ['p', 'q'], 'q')]);
    const remembered = rememberOf(before, decideAll(before, input));
    // a new version of the project: variants reordered, a flag added, one flag gone
    const after = createSnapshot([flag('a', ['y', 'z', 'x'], 'z', 2), flag('c', ['m'], 'm')]);
    const stale = staleFrom(after, remembered);
    expect(stale.flags.a).toMatchObject({ value: 'y', variant: 'y', reason: 'STALE', version: 2 });
    expect(stale.flags.c).toMatchObject({ value: 'm', variant: 'm', reason: 'ERROR' });
    expect(stale.flags.b).toBeUndefined();
  });

  it('answers defaults with reason ERROR when nothing is remembered', () => {
    const snap = createSnapshot([flag('a', ['x', 'y'], 'y')]);
    expect(defaultsFor(snap).flags.a).toMatchObject({ value: 'x', variant: 'x', reason: 'ERROR', error_code: 'GENERAL' });
  });
});
