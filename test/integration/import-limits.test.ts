import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImportJobStore } from '../../src/adapters/postgres/import-job-store.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { listen, type RunningServer } from '../helpers/http-server.js';

// Upload size limits (docs/imports.md "Size limit"): IMPORT_MAX_BYTES for import jobs,
// UPLOAD_MAX_BYTES for member uploads. Over them: 413 naming the limit, never a 500.

const LIMIT = 10_000;
let t: TestContext;
let server: RunningServer;
let dir: string;
let p: { id: number; token: string; bearer: { Authorization: string } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const csv = (rows: number) => `distinct_id\n${Array.from({ length: rows }, (_, i) => `user-${i}`).join('\n')}\n`;

/** POSTs `chunks` with chunked transfer encoding (no Content-Length), as a streaming client does. */
function chunked(pathname: string, chunks: string[], opts: { abortAfter?: number } = {}): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders } | 'aborted'> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}${pathname}`, { method: 'POST', headers: { ...t.admin, 'Content-Type': 'text/csv', 'Transfer-Encoding': 'chunked' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => void (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null, headers: res.headers }));
    });
    req.on('error', (err) => (opts.abortAfter !== undefined ? resolve('aborted') : reject(err)));
    void (async () => {
      for (const [i, c] of chunks.entries()) {
        if (req.destroyed) return;
        if (opts.abortAfter === i) {
          req.destroy();
          return resolve('aborted');
        }
        req.write(c);
        await sleep(5);
      }
      req.end();
    })();
  });
}

async function jobs() {
  const res = await t.http.get(`/v1/projects/${p.id}/imports`).set(t.admin);
  return res.body.data as Array<Record<string, any>>;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sb-limits-'));
  t = await createTestContext({ IMPORT_MAX_BYTES: String(LIMIT), UPLOAD_MAX_BYTES: '2000', IMPORT_DIR: dir });
  server = await listen(t.app);
  p = await t.newProject('limits');
  const res = await t.http.post(`/v1/projects/${p.id}/cohorts`).set(t.admin).send({ key: 'vip', name: 'VIP', kind: 'static' });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await server?.close();
  await t?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('upload size limits', () => {
  it('a declared Content-Length over IMPORT_MAX_BYTES is a 413 naming the limit, before any job', async () => {
    const before = (await jobs()).length;
    const res = await t.http.post(`/v1/projects/${p.id}/imports?kind=static_members&cohort=vip`).set(t.admin).set('Content-Type', 'text/csv').send(csv(2_000));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(res.body.error.message).toContain(`${LIMIT} bytes (IMPORT_MAX_BYTES)`);
    expect(res.body.error.details).toEqual({ limit_bytes: LIMIT });
    expect((await jobs()).length).toBe(before);
  });

  it('a streamed body that passes the limit is a 413, its partial job failed with the reason and its file removed', async () => {
    const body = csv(3_000);
    const chunks = Array.from({ length: Math.ceil(body.length / 1_000) }, (_, i) => body.slice(i * 1_000, (i + 1) * 1_000));
    const res = await chunked(`/v1/projects/${p.id}/imports?kind=static_members&cohort=vip`, chunks);
    if (res === 'aborted') throw new Error('the server reset the connection instead of answering');
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(res.body.error.message).toContain(`larger than the limit of ${LIMIT} bytes`);
    const jobId = res.body.error.details.job_id;
    const job = (await t.http.get(`/v1/projects/${p.id}/imports/${jobId}`).set(t.admin)).body;
    expect(job.state).toBe('failed');
    expect(job.error).toBe(`the file is larger than the limit of ${LIMIT} bytes (IMPORT_MAX_BYTES)`);
    expect(job.counts.processed).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
    // nothing of it was applied
    const { rows } = await t.pool.query('SELECT 1 FROM static_cohort_members m JOIN cohorts c ON c.id = m.cohort_id WHERE c.project_id = $1', [p.id]);
    expect(rows).toEqual([]);
  });

  it('an upload cut off by the client leaves a failed job, not an uploading one', async () => {
    const before = new Set((await jobs()).map((j) => j.id));
    const res = await chunked(`/v1/projects/${p.id}/imports?kind=static_members&cohort=vip`, ['distinct_id\n', 'a\n', 'b\n', 'c\n'], { abortAfter: 2 });
    expect(res).toBe('aborted');
    let job: Record<string, any> | undefined;
    for (const end = Date.now() + 10_000; Date.now() < end; await sleep(50)) {
      job = (await jobs()).find((j) => !before.has(j.id));
      if (job && job.state !== 'uploading') break;
    }
    expect(job?.state).toBe('failed');
    expect(job?.error).toMatch(/upload was interrupted/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an upload whose process died (its hold expired) is failed by the next claim, never run', async () => {
    const store = createImportJobStore(t.pool);
    const job = await store.create({ projectId: p.id, kind: 'static_members', cohortKey: 'vip', format: 'csv', mapping: null, filePath: path.join(dir, 'gone.csv'), fileBytes: 0, actor: 'test', uploading: { leaseMs: 1 } });
    expect(job.state).toBe('uploading');
    await sleep(20);
    expect(await store.claim('test', 1_000, job.id)).toBeNull();
    const after = await store.get(p.id, job.id);
    expect(after?.state).toBe('failed');
    expect(after?.error).toMatch(/upload was interrupted/);
  });

  it('under the limit, a streamed upload runs', async () => {
    const res = await chunked(`/v1/projects/${p.id}/imports?kind=static_members&cohort=vip`, ['distinct_id\n', 'a\n', 'b\n']);
    if (res === 'aborted') throw new Error('aborted');
    expect(res.status).toBe(202);
    expect(res.body.file_bytes).toBe(16);
  });

  it('member uploads over UPLOAD_MAX_BYTES answer 413 naming the limit', async () => {
    const res = await t.http.post(`/v1/projects/${p.id}/cohorts/vip/members`).set(t.admin).set('Content-Type', 'text/csv').send(csv(500));
    expect(res.status).toBe(413);
    expect(res.body.error.message).toBe('body: larger than the limit of 2000 bytes');
    const json = await t.http.post(`/v1/projects/${p.id}/cohorts/vip/members`).set(t.admin).send({ distinct_ids: Array.from({ length: 500 }, (_, i) => `u${i}`) });
    expect(json.status).toBe(413);
    const preview = await t.http.post(`/v1/projects/${p.id}/cohorts/vip/members/preview?mode=add`).set(t.admin).set('Content-Type', 'text/csv').send(csv(500));
    expect(preview.status).toBe(413);
  });
});
