/**
 * Round trips of rules plan/apply with flagd documents and YAML, `--prune` (flags, configs,
 * surveys disabled then deleted, cohorts archived; idempotent), and lint on save in the
 * admin API (warnings beside a successful write; missing or archived cohorts are 400).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../helpers/context.js';
import { rulesDeps } from '../../../src/cli/rules.js';
import { planRules, type RulesDeps } from '../../../src/as-code/plan.js';
import { applyPlan } from '../../../src/as-code/apply.js';
import { planLines, planSummary } from '../../../src/as-code/report.js';

let t: TestContext;
let deps: RulesDeps;
let tmp: string;

beforeAll(async () => {
  t = await createTestContext();
  deps = rulesDeps(t);
  tmp = mkdtempSync(path.join(tmpdir(), 'sb-rules-prune-'));
});
afterAll(async () => {
  await t.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

const flagdDoc = {
  $schema: 'https://flagd.dev/schema/v0/flags.json',
  metadata: { flagSetId: 'web' },
  flags: {
    'header-color': { state: 'ENABLED', variants: { red: 'red', blue: 'blue' }, defaultVariant: 'red', targeting: { if: [{ $ref: 'staff' }, 'blue', 'red'] } },
    'old-flag': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' },
  },
  $evaluators: { staff: { ends_with: [{ var: 'email' }, '@example.com'] } },
};

function folder(name: string, files: Record<string, string | object>): string {
  const dir = path.join(tmp, name);
  rmSync(dir, { recursive: true, force: true });
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

const yamlCohort = 'key: pro-users\nname: Pro users\nkind: dynamic\ndefinition:\n  type: AND\n  values:\n    - { type: person, key: plan, operator: eq, value: pro }\n';
const yamlFlag = 'key: pro-banner\nkind: boolean\nenabled: true\nrules:\n  - id: pros\n    cohorts: { any: [pro-users] }\n    serve: { variant: "on" }\n';

describe('rules apply with flagd documents, YAML and --prune', () => {
  it('applies a flagd document and YAML files, then converges; --prune removes what left the folder', async () => {
    const p = await t.newProject('prune');
    const v1 = folder('v1', { 'flags/web.json': flagdDoc, 'flags/pro-banner.yaml': yamlFlag, 'cohorts/pro-users.yaml': yamlCohort, 'cohorts/old.yaml': yamlCohort.replace('pro-users', 'old-cohort') });
    const plan1 = await planRules(deps, v1, p.id);
    expect(plan1.set.issues).toEqual([]);
    expect(planSummary(plan1)).toBe('Plan: 5 to create, 0 to update, 0 unchanged.');
    await applyPlan(deps, plan1);
    const stored = await t.definitions.get('flag', p.id, 'header-color');
    expect(stored).toMatchObject({ state: 'ENABLED', flagSetMetadata: { flagSetId: 'web' }, $evaluators: flagdDoc.$evaluators });
    expect(stored.$schema).toBeUndefined();
    expect(planSummary(await planRules(deps, v1, p.id))).toMatch(/^No changes: all 5 definitions/);

    // v2: one flag of the document changed, one removed, a cohort removed
    const doc2 = structuredClone(flagdDoc) as typeof flagdDoc & { flags: Record<string, unknown> };
    delete (doc2.flags as Record<string, unknown>)['old-flag'];
    doc2.flags['header-color'] = { ...flagdDoc.flags['header-color'], defaultVariant: 'blue' };
    const v2 = folder('v2', { 'flags/web.json': doc2, 'flags/pro-banner.yaml': yamlFlag, 'cohorts/pro-users.yaml': yamlCohort });
    const plain = await planRules(deps, v2, p.id);
    expect(planLines(plain).join('\n')).toContain('~ flag header-color');
    expect(planLines(plain).join('\n')).toContain('      defaultVariant: "red" -> "blue"');
    expect(planLines(plain).join('\n')).toMatch(/\? flag old-flag +not in the files: left as it is/);
    // without --prune removals are listed and left alone
    await applyPlan(deps, plain);
    expect(await t.definitions.get('flag', p.id, 'old-flag')).toMatchObject({ state: 'ENABLED' });

    const pruning = await planRules(deps, v2, p.id, { prune: true });
    expect(planSummary(pruning)).toBe('Plan: 0 to create, 0 to update, 2 to remove, 3 unchanged.');
    const report = await applyPlan(deps, pruning);
    expect(report.pruned).toEqual([{ kind: 'flag', key: 'old-flag' }, { kind: 'cohort', key: 'old-cohort' }]);
    await expect(t.definitions.get('flag', p.id, 'old-flag')).rejects.toMatchObject({ code: 'not_found' });
    expect((await t.cohortService.get(p.id, 'old-cohort')).state).toBe('archived');
    const { rows } = await t.pool.query<{ action: string }>("SELECT action FROM audit_log WHERE project_id = $1 AND entity_key = 'old-flag' ORDER BY id", [p.id]);
    expect(rows.map((r) => r.action)).toEqual(['create', 'kill', 'delete']);
    // idempotent: pruning again removes nothing
    const again = await planRules(deps, v2, p.id, { prune: true });
    expect(planSummary(again)).toMatch(/^No changes/);
    expect((await applyPlan(deps, again)).pruned).toEqual([]);
  });

  it('refuses to prune a cohort that a kept definition references (nothing applied)', async () => {
    const p = await t.newProject('prune-refs');
    await applyPlan(deps, await planRules(deps, folder('r1', { 'flags/pro-banner.yaml': yamlFlag, 'cohorts/pro-users.yaml': yamlCohort }), p.id));
    const plan = await planRules(deps, folder('r2', { 'flags/pro-banner.yaml': yamlFlag }), p.id, { prune: true });
    expect(plan.set.issues.map((i) => i.message)).toEqual(['cohort "pro-users" is not in the files: --prune would archive it']);
  });
});

describe('lint on save (admin API)', () => {
  it('answers warnings beside a successful write, and 400 for missing or archived cohorts', async () => {
    const p = await t.newProject('lint');
    const flags = `/v1/projects/${p.id}/flags`;
    const body = { key: 'shadowed', kind: 'boolean', enabled: true, rules: [{ id: 'all', serve: { variant: 'on' } }, { id: 'late', rollout: 0, serve: { variant: 'off' } }] };
    const res = await t.http.post(flags).set(t.admin).send(body);
    expect(res.status).toBe(201);
    expect(res.body.warnings.map((w: { path: string }) => w.path)).toEqual(['rules[1]', 'rules[1].rollout']);
    expect(res.body.warnings[0].message).toBe('flag "shadowed", rule "late": can never match: rule "all" (rules[0]) before it matches everyone');
    const put = await t.http.put(`${flags}/shadowed`).set(t.admin).send({ ...body, version: 1, rules: [body.rules[0]] });
    expect(put.status).toBe(200);
    expect(put.body.warnings).toBeUndefined();

    const missing = await t.http.post(flags).set(t.admin).send({ key: 'ghost', kind: 'boolean', enabled: true, rules: [{ id: 'r', cohorts: { any: ['nope'] }, serve: { variant: 'on' } }] });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.issues[0]).toEqual({ path: 'rules[0].cohorts.any[0]', message: 'flag "ghost", rule "r": cohort "nope" does not exist in the project' });

    await t.http.post(`/v1/projects/${p.id}/cohorts`).set(t.admin).send({ key: 'gone', name: 'Gone', kind: 'static' }).expect(201);
    await t.http.post(`/v1/projects/${p.id}/cohorts/gone/archive`).set(t.admin).expect(200);
    const archived = await t.http.post(flags).set(t.admin).send({ key: 'ghost', kind: 'boolean', enabled: true, rules: [{ id: 'r', cohorts: { none: ['gone'] }, serve: { variant: 'on' } }] });
    expect(archived.status).toBe(400);
    expect(archived.body.error.details.issues[0].path).toBe('rules[0].cohorts.none[0]');
  });
});

