import { pino } from 'pino';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeAll } from '../../src/composition.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

// Static cohort members through the import job machinery (docs/imports.md "Static cohort members").

let t: TestContext;
const ok = (res: { status: number; body: unknown }) => {
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return res.body as Record<string, any>;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function upload(projectId: number, query: string, body: string, http = t.http) {
  return http.post(`/v1/projects/${projectId}/imports?${query}`).set(t.admin).set('Content-Type', 'application/octet-stream').send(Buffer.from(body));
}

async function finished(projectId: number, id: number, ms = 300_000) {
  const end = Date.now() + ms;
  for (;;) {
    const j = ok(await t.http.get(`/v1/projects/${projectId}/imports/${id}`).set(t.admin));
    if (!['uploading', 'queued', 'running'].includes(j.state)) return j;
    if (Date.now() > end) throw new Error(`job ${id} still ${j.state}`);
    await sleep(100);
  }
}

async function memberCount(projectId: number, key: string): Promise<number> {
  const { rows } = await t.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM static_cohort_members m JOIN cohorts c ON c.id = m.cohort_id WHERE c.project_id = $1 AND c.key = $2', [projectId, key]);
  return Number(rows[0].n);
}

async function project(name: string) {
  const p = await t.newProject(name);
  ok(await t.http.post(`/v1/projects/${p.id}/cohorts`).set(t.admin).send({ key: 'vip', name: 'VIP', kind: 'static' }));
  ok(await t.http.post(`/v1/projects/${p.id}/flags`).set(t.admin).send({ key: 'vip-ui', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'v', cohorts: { any: ['vip'] }, serve: { variant: 'on' } }] }));
  return p;
}

const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => {
  await t?.cleanup();
});

describe('static cohort member import jobs', () => {
  it('imports a CSV, reports each bad row with its line, and the members count from the next handshake', async () => {
    const p = await project('members-csv');
    const csv = ['name,Distinct_ID', 'Ann,ann', 'Bob,bob', 'Empty,', 'Ann again,ann', 'Anon,anonymous', 'no column', '"Quoted, name", cat ', ''].join('\n');
    const job = ok(await upload(p.id, 'kind=static_members&cohort=vip', csv));
    expect(job).toMatchObject({ kind: 'static_members', cohort: 'vip', format: 'csv' });
    const done = await finished(p.id, job.id);
    expect(done.state).toBe('succeeded');
    expect(done.counts).toMatchObject({ processed: 7, stored: 3, deduplicated: 1, failed: 3 });
    expect(done.errors).toEqual([
      { row: 3, field: 'distinct_id', message: 'distinct_id is empty' },
      { row: 5, field: 'distinct_id', message: '"anonymous" is a placeholder id, not a user' },
      { row: 6, field: 'distinct_id', message: 'the row has no distinct_id column' },
    ]);
    expect(await memberCount(p.id, 'vip')).toBe(3);
    const decide = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'cat' });
    expect(decide.body.flags['vip-ui'].variant).toBe('on');
    const audit = ok(await t.http.get(`/v1/projects/${p.id}/audit?entity_kind=cohort&entity_key=vip`).set(t.admin));
    expect(audit.data.some((a: any) => a.action === 'members.import')).toBe(true);
  });

  it('imports NDJSON and refuses bad parameters naming them', async () => {
    const p = await project('members-ndjson');
    const nd = [JSON.stringify({ distinct_id: 'n1' }), '', '{bad', JSON.stringify({ other: 1 }), JSON.stringify({ distinct_id: 'n2', plan: 'x' })].join('\n');
    const job = ok(await upload(p.id, 'kind=static_members&cohort=vip&format=ndjson', nd));
    const done = await finished(p.id, job.id);
    expect(done.counts).toMatchObject({ processed: 4, stored: 2, failed: 2 });
    expect(done.errors.map((e: any) => e.row)).toEqual([2, 3]);
    expect(done.errors[0].message).toMatch(/malformed JSON/);

    const noCohort = await upload(p.id, 'kind=static_members', 'distinct_id\na\n');
    expect(noCohort.status).toBe(400);
    expect(noCohort.body.error.message).toMatch(/^cohort/);
    const withMapping = await upload(p.id, 'kind=static_members&cohort=vip&mapping=uci-online-retail', 'distinct_id\na\n');
    expect(withMapping.status).toBe(400);
    expect(withMapping.body.error.message).toMatch(/^mapping/);
    const unknown = await upload(p.id, 'kind=static_members&cohort=nope', 'distinct_id\na\n');
    expect(unknown.status).toBe(404);
    ok(await t.http.post(`/v1/projects/${p.id}/cohorts`).set(t.admin).send({ key: 'dyn', name: 'Dyn', kind: 'dynamic', definition: { type: 'person', key: 'plan', operator: 'eq', value: 'x' } }));
    const dynamic = await upload(p.id, 'kind=static_members&cohort=dyn', 'distinct_id\na\n');
    expect(dynamic.status).toBe(409);
    const badKind = await upload(p.id, 'kind=people', 'distinct_id\na\n');
    expect(badKind.status).toBe(400);
    expect(JSON.stringify(badKind.body)).toContain('kind');
    // a CSV without the column fails the job, saying why
    const header = ok(await upload(p.id, 'kind=static_members&cohort=vip', 'id,name\n1,a\n'));
    const failed = await finished(p.id, header.id);
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/no distinct_id column/);
  });

  it('a restart mid-import resumes after the last committed batch without duplicates', { timeout: 400_000 }, async () => {
    const p = await project('members-resume');
    const n = 60_000;
    const first = composeAll(t.config, { logger: pino({ level: 'silent' }) });
    await first.start();
    let job: Record<string, any>;
    try {
      job = ok(await upload(p.id, 'kind=static_members&cohort=vip', `distinct_id\n${ids(n, 'r').join('\n')}\n`, supertest(first.app)));
      for (;;) {
        const mid = ok(await t.http.get(`/v1/projects/${p.id}/imports/${job.id}`).set(t.admin));
        if (mid.committed_row > 0 || !['queued', 'running'].includes(mid.state)) break;
        await sleep(10);
      }
    } finally {
      await first.close();
    }
    const stopped = ok(await t.http.get(`/v1/projects/${p.id}/imports/${job.id}`).set(t.admin));
    expect(stopped.state).toBe('running');
    expect(stopped.committed_row).toBeGreaterThan(0);
    expect(stopped.committed_row).toBeLessThan(n);
    t.importJobs.start();
    const done = await finished(p.id, job.id);
    expect(done.state).toBe('succeeded');
    expect(done.counts).toMatchObject({ processed: n, stored: n, deduplicated: 0, failed: 0 });
    expect(await memberCount(p.id, 'vip')).toBe(n);
    // served once rematerialized: at once, or by the refresher when the stopped process's
    // refresh lease on the cohort still has to expire
    for (const end = Date.now() + 150_000; ; await sleep(500)) {
      const decide = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: `r-${n - 1}` });
      if (decide.body.flags['vip-ui'].variant === 'on') break;
      if (Date.now() > end) throw new Error('the imported members were never served');
    }
  });

  it('cancels a running member import; what was committed stays and is served', { timeout: 120_000 }, async () => {
    const p = await project('members-cancel');
    const job = ok(await upload(p.id, 'kind=static_members&cohort=vip', `distinct_id\n${ids(60_000, 'c').join('\n')}\n`));
    ok(await t.http.post(`/v1/projects/${p.id}/imports/${job.id}/cancel`).set(t.admin));
    const done = await finished(p.id, job.id);
    expect(done.state).toBe('cancelled');
    expect(done.counts.processed).toBeLessThan(60_000);
    expect(await memberCount(p.id, 'vip')).toBe(done.counts.stored);
  });

  it('a batch that would pass 100,000 members fails the job, naming the limit; nothing of it is applied', { timeout: 120_000 }, async () => {
    const p = await project('members-limit');
    ok(await t.http.post(`/v1/projects/${p.id}/cohorts/vip/members`).set(t.admin).send({ distinct_ids: ids(99_999, 'l') }));
    const job = ok(await upload(p.id, 'kind=static_members&cohort=vip', 'distinct_id\nx1\nx2\n'));
    const done = await finished(p.id, job.id);
    expect(done.state).toBe('failed');
    expect(done.error).toMatch(/at most 100000 members/);
    expect(await memberCount(p.id, 'vip')).toBe(99_999);
  });
});
