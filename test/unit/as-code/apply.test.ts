import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../helpers/context.js';
import { rulesDeps } from '../../../src/cli/rules.js';
import { planRules, type RulesDeps } from '../../../src/as-code/plan.js';
import { applyPlan, PlanHasProblems } from '../../../src/as-code/apply.js';
import { applySummary, describeChange, planSummary } from '../../../src/as-code/report.js';
import { formatIssue } from '../../../src/as-code/load.js';

let t: TestContext;
let deps: RulesDeps;
let tmp: string;

beforeAll(async () => {
  t = await createTestContext();
  deps = rulesDeps(t);
  tmp = mkdtempSync(path.join(tmpdir(), 'sb-rules-apply-'));
});
afterAll(async () => {
  await t.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

/** A copy of rules/demo that a test may edit. */
function demoCopy(name: string): string {
  const dir = path.join(tmp, name);
  cpSync('rules/demo', dir, { recursive: true });
  return dir;
}

const editJson = (file: string, fn: (doc: Record<string, unknown>) => void) => {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  fn(doc);
  writeFileSync(file, JSON.stringify(doc, null, 2));
};

async function auditCount(projectId: number): Promise<number> {
  const { rows } = await t.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE project_id = $1 AND actor = 'cli:rules'", [projectId]);
  return rows[0].n;
}

describe('rules plan / apply', () => {
  it('creates everything once, then plans and applies "no changes"', async () => {
    const p = await t.newProject('rules');
    const plan = await planRules(deps, 'rules/demo', p.id);
    expect(plan.set.issues).toEqual([]);
    expect(plan.changes.every((c) => c.action === 'create')).toBe(true);
    expect(planSummary(plan)).toBe('Plan: 12 to create, 0 to update, 0 unchanged.');

    const order: string[] = [];
    const report = await applyPlan(deps, plan, { onChange: (c) => order.push(`${c.kind}:${c.key}`) });
    expect(report.applied).toHaveLength(12);
    // cohorts first (a referenced cohort before its referrer), then the rest
    expect(order.slice(0, 6).every((k) => k.startsWith('cohort:'))).toBe(true);
    expect(order.indexOf('cohort:germany')).toBeLessThan(order.indexOf('cohort:refunders-90d-outside-germany'));
    expect(applySummary(plan, report)).toBe('Applied: 12 created, 0 updated, 0 unchanged (audit actor cli:rules).');

    // through the same services as the admin API: versions, audit entries, static members
    const flag = await t.http.get(`/v1/projects/${p.id}/flags/new-checkout`).set(t.admin);
    expect(flag.body).toMatchObject({ key: 'new-checkout', version: 1, enabled: true });
    const flagd = await t.http.get(`/v1/projects/${p.id}/flags/recommendations-v2`).set(t.admin);
    expect(flagd.body).toMatchObject({ state: 'ENABLED', defaultVariant: 'off' });
    const members = await t.http.get(`/v1/projects/${p.id}/cohorts/support-pins/members`).set(t.admin);
    expect(members.body.data.map((m: { distinct_id: string }) => m.distinct_id).sort()).toEqual(['qa-tester-1', 'support-agent-ana', 'support-agent-ben']);
    const audited = await auditCount(p.id);
    expect(audited).toBe(13); // 12 creations + one static member upload

    const again = await planRules(deps, 'rules/demo', p.id);
    expect(again.changes.every((c) => c.action === 'unchanged')).toBe(true);
    expect(planSummary(again)).toBe(`No changes: all 12 definitions of rules/demo are up to date in project ${p.id}.`);
    const second = await applyPlan(deps, again);
    expect(second.applied).toEqual([]);
    expect(applySummary(again, second)).toMatch(/^No changes/);
    expect(await auditCount(p.id)).toBe(audited);
  });

  it('updates only what changed, with the stored version as the expected one', async () => {
    const p = await t.newProject('rules-update');
    const dir = demoCopy('update');
    await applyPlan(deps, await planRules(deps, dir, p.id));
    editJson(path.join(dir, 'flags/new-checkout.json'), (d) => {
      (d.rules as Array<{ rollout?: number }>)[1].rollout = 75;
    });
    editJson(path.join(dir, 'cohorts/germany.json'), (d) => {
      d.name = 'Customers in Germany (DE)';
    });
    writeFileSync(path.join(dir, 'cohorts/support-pins.csv'), 'distinct_id\nsupport-agent-ana\nsupport-agent-ben\nsupport-agent-cy\n');
    const plan = await planRules(deps, dir, p.id);
    const changed = plan.changes.filter((c) => c.action !== 'unchanged').map((c) => ({ key: c.key, fields: c.fields, members: c.members }));
    expect(changed).toEqual([
      { key: 'germany', fields: ['name'], members: null },
      { key: 'support-pins', fields: ['members'], members: { add: 1, remove: 1, total: 3 } },
      { key: 'new-checkout', fields: ['rules'], members: null },
    ]);
    const lines = plan.changes.filter((c) => c.action !== 'unchanged').map(describeChange);
    expect(lines).toEqual(['update name: "Customers in Germany" -> "Customers in Germany (DE)"', 'members +1 -1 (3 listed)', 'update rules[1].rollout: 50 -> 75']);
    await applyPlan(deps, plan);
    const flag = await t.http.get(`/v1/projects/${p.id}/flags/new-checkout`).set(t.admin);
    expect(flag.body.version).toBe(2);
    expect(flag.body.rules[1].rollout).toBe(75);
    const cohort = await t.http.get(`/v1/projects/${p.id}/cohorts/germany`).set(t.admin);
    expect(cohort.body).toMatchObject({ name: 'Customers in Germany (DE)', definition_version: 2 });
    expect((await planRules(deps, dir, p.id)).changes.every((c) => c.action === 'unchanged')).toBe(true);
  });

  it('applies nothing when any file is invalid, and lists every problem', async () => {
    const p = await t.newProject('rules-invalid');
    const dir = demoCopy('invalid');
    editJson(path.join(dir, 'flags/checkout-layout.json'), (d) => {
      (d.rules as Array<{ serve: { split: Array<{ weight: number }> } }>)[1].serve.split[0].weight = 40;
    });
    editJson(path.join(dir, 'configs/free-shipping.json'), (d) => {
      (d.rules as Array<{ cohorts: { all: string[] } }>)[0].cohorts.all = ['nowhere'];
    });
    const plan = await planRules(deps, dir, p.id);
    expect(plan.set.issues.map((i) => formatIssue(i).replace(`${dir}/`, ''))).toEqual([
      'configs/free-shipping.json: rules[0].cohorts.all[0]: cohort "nowhere" is neither in ' + dir + ' nor in the project',
      'flags/checkout-layout.json: rules[1].serve.split: split weights must add up to 100, they add up to 90',
    ]);
    await expect(applyPlan(deps, plan)).rejects.toBeInstanceOf(PlanHasProblems);
    const { rows } = await t.pool.query<{ n: number }>(
      'SELECT (SELECT count(*) FROM cohorts WHERE project_id = $1) + (SELECT count(*) FROM flags WHERE project_id = $1) + (SELECT count(*) FROM configs WHERE project_id = $1) AS n',
      [p.id],
    );
    expect(Number(rows[0].n)).toBe(0);
  });

  it('creates a referenced cohort before its referrer whatever the file order, and accepts project cohorts', async () => {
    const p = await t.newProject('rules-order');
    await t.http.post(`/v1/projects/${p.id}/cohorts`).set(t.admin).send({ key: 'made-by-api', name: 'API', kind: 'static' }).expect(201);
    const dir = path.join(tmp, 'order');
    cpSync('rules/demo/cohorts/germany.json', path.join(dir, 'cohorts/z-germany.json'));
    writeFileSync(path.join(dir, 'cohorts/a-not-germany.json'), JSON.stringify({
      key: 'not-germany', name: 'Not Germany', kind: 'dynamic',
      definition: { type: 'AND', values: [{ type: 'cohort', key: 'germany', operator: 'not_in' }, { type: 'cohort', key: 'made-by-api', operator: 'not_in' }] },
    }));
    const plan = await planRules(deps, dir, p.id);
    expect(plan.set.issues).toEqual([]);
    expect(plan.untracked).toEqual([{ kind: 'cohort', key: 'made-by-api' }]);
    const order: string[] = [];
    await applyPlan(deps, plan, { onChange: (c) => order.push(c.key) });
    expect(order).toEqual(['germany', 'not-germany']);
  });
});
