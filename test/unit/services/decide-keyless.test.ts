/**
 * The decide service's keyless decisions (an OFREP request without a usable targetingKey,
 * PRODUCT.md 8.2, docs/decisions.md section 6) over in-memory fakes: nobody is looked up,
 * Redis is not read (so a failing Redis cannot degrade them), native rules that need a
 * bucketing key answer TARGETING_KEY_MISSING, and flagd-format flags see targetingKey as sent.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createDecideService } from '../../../src/services/decide.js';
import { createSnapshots } from '../../../src/services/snapshots.js';
import { createFakeHandshakeReader } from '../../fakes/fake-handshake-reader.js';
import { createFakeIdentityCache } from '../../fakes/fake-identity-cache.js';
import { createFakeMembershipStore } from '../../fakes/fake-membership-store.js';
import { createFakeSnapshotSource } from '../../fakes/fake-snapshot-source.js';

const silent = pino({ level: 'silent' });
const P = 1;

function setup() {
  const source = createFakeSnapshotSource();
  source.project(P);
  source.define(P, 'flag', 'beta', { enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'pro', condition: { '==': [{ var: 'plan' }, 'pro'] }, serve: { variant: 'on' } }] });
  source.define(P, 'flag', 'half', { enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'half', rollout: 50, serve: { variant: 'on' } }] });
  source.define(P, 'flag', 'members', { enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'vip', cohorts: { all: ['vip'] }, serve: { variant: 'on' } }] });
  source.define(P, 'flag', 'split', { state: 'ENABLED', variants: { a: 'a', b: 'b', none: 'none' }, defaultVariant: 'none', targeting: { fractional: [['a', 50], ['b', 50]] } });
  source.define(P, 'flag', 'key-is', { state: 'ENABLED', variants: { yes: 'yes', no: 'no' }, defaultVariant: 'no', targeting: { if: [{ '==': [{ var: 'targetingKey' }, 42] }, 'yes', 'no'] } });
  source.cohort(P, { id: 10, key: 'vip', state: 'active', version: 1, asOf: 1 });
  const identity = createFakeIdentityCache();
  const membership = createFakeMembershipStore();
  const reader = createFakeHandshakeReader({ identity, membership });
  const snapshots = createSnapshots({ source, logger: silent, pollMs: 60_000 });
  return { reader, decide: createDecideService({ snapshots, reader, logger: silent, now: () => 1_700_000_000_000 }) };
}

describe('keyless decisions (decide service, fakes)', () => {
  it('reads no identity and no Redis, and is never degraded', async () => {
    const s = setup();
    s.reader.fail(new Error('redis is down'));
    const { result } = await s.decide.decideKeyless({ projectId: P, context: { plan: 'pro' } });
    expect(s.reader.calls).toHaveLength(0);
    expect(result.flags.beta).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect(result.flags.members).toMatchObject({ value: false, reason: 'DEFAULT' });
  });

  it('answers TARGETING_KEY_MISSING for a native rule that needs a bucketing key', async () => {
    const { result } = await setup().decide.decideKeyless({ projectId: P, context: {} });
    expect(result.flags.half).toMatchObject({ reason: 'ERROR', error_code: 'TARGETING_KEY_MISSING' });
  });

  it('gives flagd-format flags the targetingKey as sent (none: fractional falls back)', async () => {
    const s = setup();
    const none = await s.decide.decideKeyless({ projectId: P, context: {} });
    expect(none.result.flags.split).toMatchObject({ value: 'none', reason: 'DEFAULT' });
    const numeric = await s.decide.decideKeyless({ projectId: P, targetingKey: 42, context: {} });
    expect(numeric.result.flags['key-is']).toMatchObject({ value: 'yes', reason: 'TARGETING_MATCH' });
    expect(numeric.result.flags.split).toMatchObject({ value: 'none', reason: 'DEFAULT' });
    const empty = await s.decide.decideKeyless({ projectId: P, targetingKey: '', context: {} });
    expect(empty.result.flags.split.reason).toBe('TARGETING_MATCH');
  });
});
