/**
 * The handshake body rendered from per-snapshot fragments (http/edge/handshake.ts) is byte
 * for byte what JSON.stringify of the whole answer gives, for every person, across splits,
 * cohort rules, errors, degraded answers and a snapshot change; and the ETag moves exactly
 * when a decision does.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { handshakeResponse } from '../../../src/http/edge/handshake.js';
import { createDecideService, type DecideOutcome } from '../../../src/services/decide.js';
import { createSnapshots } from '../../../src/services/snapshots.js';
import { createFakeHandshakeReader } from '../../fakes/fake-handshake-reader.js';
import { createFakeIdentityCache } from '../../fakes/fake-identity-cache.js';
import { createFakeMembershipStore } from '../../fakes/fake-membership-store.js';
import { createFakeSnapshotSource } from '../../fakes/fake-snapshot-source.js';

const silent = pino({ level: 'silent' });
const P = 1;
const NOW = new Date('2026-12-01T00:00:00Z');

/** What the handshake answered before fragments: one JSON.stringify per section. */
function reference(o: DecideOutcome): Record<string, unknown> {
  const r = o.result;
  return { flags: JSON.parse(JSON.stringify(r.flags)), configs: JSON.parse(JSON.stringify(r.configs)), surveys: JSON.parse(JSON.stringify(r.surveys)) };
}
const wholeJson = (o: DecideOutcome) => `{"flags":${JSON.stringify(o.result.flags)},"configs":${JSON.stringify(o.result.configs)},"surveys":${JSON.stringify(o.result.surveys)}`;

async function world() {
  const source = createFakeSnapshotSource();
  source.project(P);
  source.define(P, 'flag', 'checkout', {
    enabled: true, default_variant: 'a', off_variant: 'a', variants: { a: { value: 'a' }, b: { value: { layout: 'grid', n: 2 } }, c: { value: 'c', payload: { cta: 'Pay "now"' } } },
    rules: [{ id: 'ab', serve: { split: [{ variant: 'a', weight: 30 }, { variant: 'b', weight: 30 }, { variant: 'c', weight: 40 }] } }],
  });
  source.define(P, 'flag', 'vip', { enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'in', cohorts: { any: ['vip'] }, serve: { variant: 'on' } }, { id: 'half', rollout: 50, serve: { variant: 'on' } }] });
  source.define(P, 'flag', 'flagd', { state: 'ENABLED', defaultVariant: 'red', variants: { red: 'r', blue: 'b' }, targeting: { fractional: [['red', 50], ['blue', 50]] } });
  source.define(P, 'config', 'limits', { schema: { type: 'integer' }, default: 10, rules: [{ id: 'big', condition: { '>': [{ var: 'seats' }, 100] }, serve: { value: 1000 } }] });
  source.define(P, 'survey', 'nps', { name: 'NPS', enabled: true, questions: [{ id: 'q', type: 'rating', question: 'How "likely"?', scale: 10 }] });
  source.cohort(P, { id: 10, key: 'vip', state: 'active', version: 1, asOf: NOW.getTime() - 60_000 });
  const identity = createFakeIdentityCache();
  const membership = createFakeMembershipStore();
  await membership.writeVersion(P, 10, 1, ['d:u3', 'd:u7']);
  await membership.switchTo(P, 10, 1);
  const reader = createFakeHandshakeReader({ identity, membership });
  const snapshots = createSnapshots({ source, logger: silent, pollMs: 60_000 });
  return { source, reader, snapshots, decide: createDecideService({ snapshots, reader, logger: silent, now: () => NOW.getTime() }) };
}

describe('the handshake body from cached fragments', () => {
  it('is byte for byte the whole answer stringified, for 500 persons', async () => {
    const w = await world();
    for (let i = 0; i < 500; i++) {
      const o = await w.decide.decide({ projectId: P, distinctId: `u${i}`, context: { seats: i } });
      const r = handshakeResponse(o, undefined, NOW);
      expect(r.body!.startsWith(wholeJson(o))).toBe(true);
      expect(JSON.parse(r.body!)).toMatchObject(reference(o));
    }
  });

  it('renders degraded answers and a new snapshot without reusing stale fragments', async () => {
    const w = await world();
    const before = await w.decide.decide({ projectId: P, distinctId: 'u1' });
    w.reader.failNext(new Error('timeout'));
    const degraded = await w.decide.decide({ projectId: P, distinctId: 'u1' });
    expect(degraded.degraded).toBe(true);
    expect(handshakeResponse(degraded, undefined, NOW).body!.startsWith(wholeJson(degraded))).toBe(true);

    w.source.define(P, 'flag', 'vip', { enabled: true, default_variant: 'on', off_variant: 'off', variants: { on: { value: 'yes' }, off: { value: 'no' } }, rules: [] });
    await w.snapshots.refresh(P);
    const after = await w.decide.decide({ projectId: P, distinctId: 'u1' });
    expect(after.result.flags.vip.value).toBe('yes');
    expect(handshakeResponse(after, undefined, NOW).body!.startsWith(wholeJson(after))).toBe(true);
    const etag = (o: DecideOutcome) => handshakeResponse(o, undefined, NOW).headers.ETag;
    expect(etag(after)).not.toBe(etag(before));
    expect(handshakeResponse(after, etag(after), NOW).status).toBe(304);
  });
});
