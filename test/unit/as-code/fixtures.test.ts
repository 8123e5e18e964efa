/**
 * The rules fixture folders (test/fixtures/rules/{valid,invalid}/<kind>/): one file per case,
 * named for it, with `<case>.expected.txt` beside it holding the exact lines `rules lint` prints
 * for that file alone (`error: ...` / `warning: ...`, paths relative to the folder). Valid
 * cases may have warnings but no error; invalid ones at least one error.
 * UPDATE_RULES_FIXTURES=1 rewrites the .expected.txt files (review the diff).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lintRuleSet } from '../../../src/as-code/lint.js';
import { issueLines } from '../../../src/as-code/report.js';
import { validateRulesDir } from '../../../src/as-code/validate.js';

const ROOT = path.resolve('test/fixtures/rules');
const tmp = mkdtempSync(path.join(tmpdir(), 'sb-rules-fixtures-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cases(group: 'valid' | 'invalid'): Array<{ kind: string; file: string }> {
  const out: Array<{ kind: string; file: string }> = [];
  for (const kind of readdirSync(path.join(ROOT, group))) {
    for (const file of readdirSync(path.join(ROOT, group, kind)).sort()) {
      if (/\.(json|ya?ml)$/.test(file)) out.push({ kind, file });
    }
  }
  return out;
}

/** What `rules lint` prints for the case file alone (and a CSV of the same name, if any). */
async function lintLines(group: string, kind: string, file: string): Promise<{ lines: string[]; errors: number }> {
  const dir = path.join(tmp, `${group}-${kind}-${file}`);
  mkdirSync(path.join(dir, kind), { recursive: true });
  copyFileSync(path.join(ROOT, group, kind, file), path.join(dir, kind, file));
  const csv = file.replace(/\.(json|ya?ml)$/, '.csv');
  if (existsSync(path.join(ROOT, group, kind, csv))) copyFileSync(path.join(ROOT, group, kind, csv), path.join(dir, kind, csv));
  const set = await validateRulesDir(dir);
  const lint = lintRuleSet(set);
  const errors = [...set.issues, ...lint.issues];
  const lines = issueLines(errors, [...set.warnings, ...lint.warnings]).map((l) => l.replace(`${dir}/`, ''));
  return { lines, errors: errors.length };
}

for (const group of ['valid', 'invalid'] as const) {
  describe(`rules fixtures: ${group}`, () => {
    it.each(cases(group))('$kind/$file', async ({ kind, file }) => {
      const { lines, errors } = await lintLines(group, kind, file);
      const expectedFile = path.join(ROOT, group, kind, file.replace(/\.(json|ya?ml)$/, '.expected.txt'));
      if (process.env.UPDATE_RULES_FIXTURES) writeFileSync(expectedFile, lines.length ? `${lines.join('\n')}\n` : '');
      const expected = readFileSync(expectedFile, 'utf8').split('\n').filter((l) => l !== '');
      expect(lines).toEqual(expected);
      if (group === 'valid') expect(errors).toBe(0);
      else expect(errors).toBeGreaterThan(0);
    });
  });
}
