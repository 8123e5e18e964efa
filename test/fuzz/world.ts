/**
 * The state a fuzz run starts from, built through the API like a user would: two projects
 * (the second with a key scoped to it only), flags, a config, a survey, a static and a
 * dynamic cohort (materialized), and a few persons with events.
 */
import { expect } from 'vitest';
import type { TestContext } from '../helpers/context.js';
import type { World } from './routes.js';

export async function buildWorld(t: TestContext): Promise<World> {
  const p = await t.newProject('fuzz', 'enterprise');
  const other = await t.newProject('fuzz-other');
  const admin = (path: string) => `/v1/projects/${p.id}${path}`;
  const ok = (res: { status: number; body: unknown }) => {
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    return res.body as Record<string, unknown>;
  };
  const otherKey = ok(await t.http.post(`/v1/projects/${other.id}/keys`).set(t.admin).send({ name: 'other only' })).key as string;

  ok(await t.http.post('/v1/engage').set(p.bearer).send({ updates: [
    { distinct_id: 'alice', $set: { plan: 'pro', country: 'DE', email: 'alice@example.com', tags: ['vip'] } },
    { distinct_id: 'bob', $set: { plan: 'free', country: 'FR' } },
  ] }));
  ok(await t.http.post('/v1/events').set(p.bearer).send({ events: [
    { event: 'purchase', distinct_id: 'alice', properties: { amount: 12 } },
    { event: 'pageview', distinct_id: 'bob' },
  ] }));
  ok(await t.http.post(admin('/cohorts')).set(t.admin).send({ key: 'pins', name: 'Support pins', kind: 'static' }));
  ok(await t.http.post(admin('/cohorts/pins/members')).set(t.admin).send({ distinct_ids: ['alice', 'agent-1'] }));
  ok(await t.http.post(admin('/cohorts')).set(t.admin).send({ key: 'de', name: 'Germany', kind: 'dynamic', definition: { type: 'person', key: 'country', operator: 'eq', value: 'DE' } }));
  ok(await t.http.post(admin('/cohorts/de/refresh')).set(t.admin));
  ok(await t.http.post(admin('/flags')).set(t.admin).send({
    key: 'beta', enabled: true, default_variant: 'off', off_variant: 'off',
    rules: [{ id: 'de', cohorts: { any: ['de'] }, serve: { variant: 'on' } }, { id: 'pins', cohorts: { any: ['pins'] }, serve: { variant: 'on' } }],
  }));
  ok(await t.http.post(admin('/flags')).set(t.admin).send({
    key: 'color', state: 'ENABLED', variants: { red: 'red', blue: 'blue' }, defaultVariant: 'red',
    targeting: { fractional: [{ var: 'targetingKey' }, ['red', 50], ['blue', 50]] },
  }));
  ok(await t.http.post(admin('/configs')).set(t.admin).send({
    key: 'theme', schema: { type: 'object', properties: { limit: { type: 'integer', minimum: 1 } }, required: ['limit'] }, default: { limit: 10 },
  }));
  ok(await t.http.post(admin('/surveys')).set(t.admin).send({ key: 'nps', name: 'NPS', enabled: true, questions: [{ id: 'q1', type: 'rating', question: 'How likely?', scale: 10 }] }));

  return {
    projectId: p.id,
    token: p.token,
    adminKey: t.adminKey,
    otherKey,
    otherProjectId: other.id,
    flags: ['beta', 'color'],
    configs: ['theme'],
    surveys: ['nps'],
    staticCohorts: ['pins'],
    dynamicCohorts: ['de'],
    persons: ['alice', 'bob', 'agent-1'],
  };
}
