import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; bearer: { Authorization: string } };

beforeAll(async () => {
  t = await createTestContext({ EXPOSURE_SAMPLE_RATE: '1' });
  p = await t.newProject('exposures');
  const res = await t.http.post(`/v1/projects/${p.id}/flags`).set(t.admin).send({
    key: 'beta', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'all', serve: { variant: 'on' } }],
  });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await t.cleanup();
});

describe('exposure events', () => {
  it('records one $feature_flag_called per person, flag and variant per day, off the hot path', async () => {
    for (let i = 0; i < 5; i++) await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'viewer' }).expect(200);
    await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'other' }).expect(200);
    await t.exposures.flush();
    await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'viewer' }).expect(200);
    await t.exposures.flush();
    const { rows } = await t.pool.query<{ distinct_id: string; properties: Record<string, unknown> }>(
      `SELECT distinct_id, properties FROM events WHERE project_id = $1 AND event = '$feature_flag_called' ORDER BY distinct_id`,
      [p.id],
    );
    expect(rows.map((r) => r.distinct_id)).toEqual(['other', 'viewer']);
    expect(rows[1].properties).toMatchObject({ $feature_flag: 'beta', $feature_flag_variant: 'on', $feature_flag_response: true, $feature_flag_reason: 'TARGETING_MATCH' });
  });
});
