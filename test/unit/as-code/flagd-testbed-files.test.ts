/**
 * flagd-testbed's own flag files (test/fixtures/flagd-testbed/flags/, copied with their
 * license) load unchanged as rules files (several flags per file, `$evaluators`, metadata),
 * and the flags they yield evaluate as the testbed's scenarios say
 * (test/cases/flagd/testbed-*.json, the same expectations the core's conformance test runs).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/as-code/canonical-json.js';
import { loadRulesDir } from '../../../src/as-code/load.js';
import { validateRulesDir } from '../../../src/as-code/validate.js';
import { compileOrBroken, createSnapshot, decideFlag } from '../../../src/core/index.js';
import { definitionsOf, disagreement, loadCorpus } from '../../helpers/flagd-corpus.js';

const FLAGS = path.resolve('test/fixtures/flagd-testbed/flags');
const files = [...readdirSync(FLAGS).filter((f) => f.endsWith('.json')).map((f) => path.join(FLAGS, f)), path.join(FLAGS, 'evaluator', 'testkit-flags.json')];
const tmp = mkdtempSync(path.join(tmpdir(), 'sb-testbed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Each testbed file alone in a rules folder (their flag keys overlap across files). */
function folderOf(file: string): string {
  const dir = path.join(tmp, path.basename(file, '.json'));
  mkdirSync(path.join(dir, 'flags'), { recursive: true });
  copyFileSync(file, path.join(dir, 'flags', path.basename(file)));
  return dir;
}

const strip = (def: Record<string, unknown>) => {
  const { $evaluators: _e, flagSetMetadata: _m, ...flag } = def;
  return canonicalJson(flag);
};

describe('flagd-testbed flag files as rules files', () => {
  it.each(files.map((f) => path.relative(FLAGS, f)))('%s loads, every flag valid', async (rel) => {
    const set = await validateRulesDir(folderOf(path.join(FLAGS, rel)));
    expect(set.issues).toEqual([]);
    expect(set.definitions.length).toBeGreaterThan(0);
  });

  it('its flags evaluate as the testbed scenarios say', async () => {
    const loaded = new Map<string, Array<Record<string, unknown>>>();
    for (const file of files) {
      for (const f of (await loadRulesDir(folderOf(file))).files) loaded.set(String(f.doc.key), [...(loaded.get(String(f.doc.key)) ?? []), f.doc]);
    }
    let checked = 0;
    const failures: string[] = [];
    for (const corpus of loadCorpus().filter((c) => c.file.startsWith('testbed'))) {
      for (const c of corpus.cases) {
        if (c.ofrepOnly || c.expected.loadError !== undefined) continue;
        const wanted = definitionsOf(c).find((d) => d.key === c.flagKey);
        // The same flag as in the case (some cases reconstruct flags no stored file holds).
        const def = wanted && loaded.get(c.flagKey)?.find((d) => strip(d) === strip(wanted));
        if (!def) continue;
        const context = (c.context ?? {}) as Record<string, unknown>;
        const { targetingKey, ...properties } = context;
        const key = typeof targetingKey === 'string' ? targetingKey : '';
        const input = { distinctId: key, bucketingKey: key, properties, cohorts: new Set<string>(), cohortStatus: new Map(), now: 1_700_000_000_000, ...(key ? {} : { keyless: 'targetingKey' in context ? { targetingKey } : {} }) };
        const d = decideFlag(createSnapshot([compileOrBroken('flag', def)]), c.requestKey ?? c.flagKey, input as never);
        const why = disagreement(c.expected, { value: d.value, variant: d.variant, reason: d.reason, errorCode: d.error_code, metadata: d.metadata });
        if (why) failures.push(`${corpus.file}: ${c.name}: ${why}`);
        checked++;
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(80);
  });
});
