import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJsonFile } from '../../../src/as-code/json-file.js';
import { jsonDiff } from '../../../src/as-code/json-diff.js';
import { formatIssue } from '../../../src/as-code/load.js';
import { validateRulesDir } from '../../../src/as-code/validate.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A rules directory in a temp folder: `{ 'flags/x.json': text | object }`. */
function rulesDir(files: Record<string, string | object>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-rules-'));
  dirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

const lines = async (dir: string) => (await validateRulesDir(dir)).issues.map((i) => formatIssue(i).replace(`${dir}/`, ''));

const flag = (key: string, extra: object = {}) => ({ key, enabled: true, default_variant: 'off', off_variant: 'off', ...extra });
const germany = { key: 'germany', name: 'Germany', kind: 'dynamic', definition: { type: 'person', key: 'country', operator: 'eq', value: 'Germany' } };

describe('rules validate', () => {
  it('accepts the demo rules: every file, every kind, a flagd flag and a static cohort with its CSV', async () => {
    const set = await validateRulesDir('rules/demo');
    expect(set.issues).toEqual([]);
    expect(set.warnings).toEqual([]);
    expect(set.cohorts.map((c) => c.key).sort()).toEqual(['frequent-buyers-30d', 'germany', 'heart-holder-buyers', 'lapsed-customers', 'refunders-90d-outside-germany', 'stopped-buying-60d', 'support-pins']);
    expect(set.definitions.map((d) => `${d.kind}:${d.key}`).sort()).toEqual([
      'config:free-shipping', 'flag:checkout-layout', 'flag:new-checkout', 'flag:recommendations-v2', 'survey:refund-feedback',
    ]);
    const pins = set.cohorts.find((c) => c.key === 'support-pins')!;
    expect(pins.members?.ids.length).toBeGreaterThanOrEqual(3);
    expect(pins.members?.file).toBe('rules/demo/cohorts/support-pins.csv');
  });

  it('names the file and the path inside it for definition errors', async () => {
    const dir = rulesDir({
      'flags/x.json': flag('x', { rules: [{ id: 'a', serve: { variant: 'on' } }, { id: 'b', serve: { split: [{ variant: 'on', weight: 150 }] } }] }),
      'configs/limit.json': { key: 'limit', schema: { type: 'integer' }, default: 'ten' },
      'surveys/s.json': { key: 's', name: 'S', enabled: true, questions: [] },
      'cohorts/adults.json': { key: 'adults', name: 'Adults', kind: 'dynamic', definition: { type: 'AND', values: [{ type: 'person', key: 'age', operator: 'gt', value: 'x' }] } },
      'flags/nokey.json': { enabled: true },
    });
    expect(await lines(dir)).toEqual([
      'cohorts/adults.json: definition.values[0].value: gt needs a number, got string (use before / after for dates)',
      'configs/limit.json: default: does not match the config schema: must be integer',
      'flags/nokey.json: key: required: the definition key',
      'flags/x.json: rules[1].serve.split[0].weight: must be between 0 and 100',
      'surveys/s.json: questions: Array must contain at least 1 element(s)',
    ]);
  });

  it('reports JSON syntax errors with line and column, and duplicate keys with their path (YAML files are read too)', async () => {
    const dir = rulesDir({
      'flags/comma.json': '{\n  "key": "comma",\n  "rules": [1,],\n}',
      'flags/dup.json': '{"key": "dup", "enabled": true, "rules": [{"id": "a", "id": "b"}]}',
      'flags/two.json': '{"key": "two"} {"key": "three"}',
      'flags/flag.yaml': 'key: x',
      'flags/notes.md': 'ignored',
      'stray.json': '{}',
    });
    expect(await lines(dir)).toEqual([
      'flags/comma.json: line 3, column 15: invalid JSON: trailing comma before ]',
      'flags/dup.json: rules[0].id: duplicate key "id" (JSON would keep only the last)',
      'flags/flag.yaml: enabled: Required',
      'flags/two.json: line 1, column 16: invalid JSON: unexpected "{" after the end of the JSON value',
      'stray.json: put the file in a folder named cohorts, flags, configs, surveys (the folder says what it defines)',
    ]);
  });

  it('refuses duplicate keys across files, cohort cycles and bad static member lists', async () => {
    const dir = rulesDir({
      'flags/a.json': flag('same'),
      'flags/b.json': flag('same'),
      'cohorts/c1.json': { key: 'c1', name: 'c1', kind: 'dynamic', definition: { type: 'AND', values: [{ type: 'cohort', key: 'c2', operator: 'in' }] } },
      'cohorts/c2.json': { key: 'c2', name: 'c2', kind: 'dynamic', definition: { type: 'OR', values: [{ type: 'cohort', key: 'c1', operator: 'not_in' }] } },
      'cohorts/pins.json': { key: 'pins', name: 'Pins', kind: 'static', members_csv: 'pins.csv' },
      'cohorts/pins.csv': 'distinct_id\nu1\nnull\n',
      'cohorts/missing.json': { key: 'missing', name: 'Missing', kind: 'static', members_csv: 'nope.csv' },
    });
    const found = await lines(dir);
    expect(found).toContain('cohorts/c1.json: definition.values[0]: reference creates a cycle: c1 -> c2 -> c1');
    expect(found).toContain('cohorts/c2.json: definition.values[0]: reference creates a cycle: c2 -> c1 -> c2');
    expect(found).toContain('cohorts/pins.csv: line 3: "null" is a placeholder id, not a user');
    expect(found).toContain('cohorts/missing.json: members_csv: cannot read ' + path.join(dir, 'cohorts/nope.csv'));
    expect(found).toContain(`flags/b.json: key: flag "same" is already defined in ${path.join(dir, 'flags/a.json')}`);
  });

  it('warns (offline) about references to cohorts that are not in the directory', async () => {
    const dir = rulesDir({
      'cohorts/germany.json': germany,
      'flags/f.json': flag('f', { rules: [{ id: 'r', cohorts: { any: ['germany', 'elsewhere'] }, serve: { variant: 'on' } }] }),
    });
    const set = await validateRulesDir(dir);
    expect(set.issues).toEqual([]);
    expect(set.warnings.map((w) => formatIssue(w).replace(`${dir}/`, ''))).toEqual([
      `flags/f.json: rules[0].cohorts.any[1]: cohort "elsewhere" is not defined in ${dir}: it must exist in the project`,
    ]);
  });
});

describe('parseJsonFile', () => {
  it('parses valid JSON (with a BOM) and locates errors', () => {
    expect(parseJsonFile('\ufeff{"a": [1, 2.5e3, "x\\u00e9"], "b": null}')).toEqual({ ok: true, value: { a: [1, 2500, 'xé'], b: null } });
    expect(parseJsonFile('{"a": }')).toEqual({ ok: false, problems: [{ at: 'line 1, column 7', message: 'invalid JSON: expected a value, found "}"' }] });
    expect(parseJsonFile('{"a": "x')).toEqual({ ok: false, problems: [{ at: 'line 1, column 7', message: 'invalid JSON: unterminated string' }] });
    expect(parseJsonFile('')).toEqual({ ok: false, problems: [{ at: 'line 1, column 1', message: 'invalid JSON: expected a value, found end of file' }] });
    expect(parseJsonFile("{'a': 1}")).toMatchObject({ ok: false, problems: [{ at: 'line 1, column 2' }] });
  });
});

describe('jsonDiff', () => {
  it('lists the changed paths, ignoring key order', () => {
    expect(jsonDiff({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 3] }, a: 1 })).toEqual(['b.c[1]: 2 -> 3']);
    expect(jsonDiff({ rules: [1] }, { rules: [1, 2], enabled: false })).toEqual(['enabled: (none) -> false', 'rules: [1] -> [1,2]']);
    expect(jsonDiff({ x: 1 }, { x: 1 })).toEqual([]);
  });
});
