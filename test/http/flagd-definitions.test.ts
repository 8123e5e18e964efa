/**
 * flagd-format flags through the admin API (PRODUCT.md 7.4, docs/decisions.md section 6):
 * every flag flagd loads is accepted (no defaultVariant, mixed types, metadata, flag-set
 * metadata, keys flagd accepts, unknown operators), what flagd refuses is refused with its
 * path, and the kill switch and key lookups work for flagd keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let flags: string;

beforeAll(async () => {
  t = await createTestContext();
  const project = await t.newProject('flagd-definitions');
  flags = `/v1/projects/${project.id}/flags`;
});
afterAll(async () => t?.cleanup());

describe('flagd-format flags in the admin API', () => {
  it('accepts what flagd loads', async () => {
    const accepted = [
      { key: 'no-default', state: 'ENABLED', variants: { on: true, off: false } },
      { key: 'mixed', state: 'ENABLED', variants: { yes: true, label: 'blue', count: 3, obj: { a: 1 }, nothing: null }, defaultVariant: 'yes' },
      { key: 'with metadata', state: 'ENABLED', variants: { on: true }, defaultVariant: 'on', metadata: { owner: { team: 'x' }, n: 1 }, flagSetMetadata: { flagSetId: 'web' } },
      { key: 'drapeau-é', variants: { on: true }, defaultVariant: 'on', description: 'extra fields load' },
      { key: 'lazy-errors', state: 'ENABLED', variants: { a: 'a' }, defaultVariant: 'a', targeting: { if: [true, 'a', { bogus_op: [1] }, { $ref: 'missing' }] } },
      { key: 'null-targeting', state: 'ENABLED', variants: { a: 'a' }, defaultVariant: 'a', targeting: null },
    ];
    for (const flag of accepted) {
      const res = await t.http.post(flags).set(t.admin).send(flag);
      expect(res.status, `${flag.key}: ${JSON.stringify(res.body)}`).toBe(201);
    }
    const got = await t.http.get(`${flags}/${encodeURIComponent('with metadata')}`).set(t.admin);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ key: 'with metadata', flagSetMetadata: { flagSetId: 'web' } });
  });

  it('refuses what flagd refuses, naming the field', async () => {
    const refused: [Record<string, unknown>, string][] = [
      [{ key: 'bad-default', state: 'ENABLED', variants: { on: true }, defaultVariant: 'nope' }, 'defaultVariant'],
      [{ key: 'empty-evaluator', state: 'ENABLED', variants: { on: true }, defaultVariant: 'on', $evaluators: { e: {} } }, '$evaluators.e'],
      [{ key: 'bad-state', state: 1, variants: { on: true }, defaultVariant: 'on' }, 'state'],
      [{ key: 'bad-variants', state: 'ENABLED', variants: ['on'], defaultVariant: 'on' }, 'variants'],
      [{ key: 'nul', state: 'ENABLED', variants: { on: 'a\u0000b' }, defaultVariant: 'on' }, 'variants.on'],
      [{ key: '', state: 'ENABLED', variants: { on: true }, defaultVariant: 'on' }, 'key'],
    ];
    for (const [flag, path] of refused) {
      const res = await t.http.post(flags).set(t.admin).send(flag);
      expect(res.status, JSON.stringify(flag)).toBe(400);
      expect(res.body.error.details.issues.map((i: { path: string }) => i.path), JSON.stringify(res.body)).toContain(path);
    }
  });

  it('kills a flagd flag without a state by setting state DISABLED', async () => {
    const res = await t.http.post(`${flags}/${encodeURIComponent('drapeau-é')}/kill`).set(t.admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ key: 'drapeau-é', state: 'DISABLED' });
  });
});
