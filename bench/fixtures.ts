/**
 * The benchmark's synthetic project, as data (no I/O): 10,000 persons with a few properties,
 * 20 cohorts covering 5-50 % of them, and 50 flags, 10 configs and 5 surveys that target them.
 * Everything is derived from a seeded PRNG, so every run seeds the same world.
 * All of it is SYNTHETIC: names, countries and versions are made up for load, not taken from users.
 */

/** mulberry32: a small deterministic PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const PERSONS = 10_000;
export const COHORTS = 20;

export interface SyntheticPerson {
  distinctId: string;
  properties: { plan: string; country: string; app_version: string; signup_days: number; platform: string };
}

const PLANS = ['free', 'free', 'free', 'pro', 'pro', 'team', 'enterprise'];
const COUNTRIES = ['DE', 'FR', 'GB', 'US', 'US', 'ES', 'IT', 'NL', 'AT', 'CH', 'SE', 'PL', 'BR'];
const PLATFORMS = ['web', 'web', 'ios', 'android'];

/** 10,000 synthetic persons; distinct_id `user-00000` … `user-09999` is also the bucketing key. */
export function persons(n = PERSONS): SyntheticPerson[] {
  const rnd = prng(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  return Array.from({ length: n }, (_, i) => ({
    distinctId: `user-${String(i).padStart(5, '0')}`,
    properties: {
      plan: pick(PLANS),
      country: pick(COUNTRIES),
      app_version: `${1 + Math.floor(rnd() * 3)}.${Math.floor(rnd() * 10)}.${Math.floor(rnd() * 5)}`,
      signup_days: Math.floor(rnd() * 1000),
      platform: pick(PLATFORMS),
    },
  }));
}

export const cohortKey = (j: number) => `cohort-${String(j).padStart(2, '0')}`;

/** Share of persons in cohort j: 5 % for the first, rising evenly to 50 % for the last. */
export const cohortShare = (j: number) => 0.05 + (0.45 * j) / (COHORTS - 1);

/** For each cohort, the indexes (into `persons()`) of its members. */
export function cohortMembers(n = PERSONS): number[][] {
  const rnd = prng(11);
  return Array.from({ length: COHORTS }, (_, j) => {
    const share = cohortShare(j);
    const members: number[] = [];
    for (let i = 0; i < n; i++) if (rnd() < share) members.push(i);
    return members;
  });
}

type Json = Record<string, unknown>;
const c = cohortKey;

/** 50 flags: cohort rules (any/all/none) with rollouts, splits, JSON Logic conditions, flagd flags. */
export function flags(): Json[] {
  const out: Json[] = [];
  // 20 boolean flags: a cohort rule (any / all / none, in turn), then a percentage rollout.
  for (let i = 0; i < 20; i++) {
    const cohorts = [{ any: [c(i % 20), c((i + 7) % 20)] }, { all: [c(i % 20), c((i + 3) % 20)] }, { none: [c(i % 20)] }][i % 3];
    out.push({
      key: `bool-${i}`, kind: 'boolean', enabled: true, default_variant: 'off', off_variant: 'off',
      rules: [
        { id: 'cohort', cohorts, serve: { variant: 'on' } },
        { id: 'rollout', rollout: (10 + 5 * i) % 100, serve: { variant: 'on' } },
      ],
    });
  }
  // 10 multivariate flags: a split for a cohort, a three-way split for everyone.
  for (let i = 0; i < 10; i++) {
    out.push({
      key: `experiment-${i}`, kind: 'multivariate', enabled: true,
      variants: {
        control: { value: 'control' },
        treatment: { value: 'treatment', payload: { color: ['blue', 'green'][i % 2], copy: `Variant B of experiment ${i}` } },
        holdout: { value: 'holdout' },
      },
      default_variant: 'control', off_variant: 'control',
      rules: [
        { id: 'cohort-split', cohorts: { any: [c((i * 3) % 20)] }, serve: { split: [{ variant: 'control', weight: 50 }, { variant: 'treatment', weight: 50 }] } },
        { id: 'everyone', serve: { split: [{ variant: 'control', weight: 34 }, { variant: 'treatment', weight: 33 }, { variant: 'holdout', weight: 33 }] } },
      ],
    });
  }
  // 10 flags on JSON Logic conditions over person properties (some with a cohort too), with rollouts.
  const conditions: unknown[] = [
    { '==': [{ var: 'plan' }, 'pro'] },
    { in: [{ var: 'country' }, ['DE', 'AT', 'CH']] },
    { '>=': [{ var: 'signup_days' }, 30] },
    { sem_ver: [{ var: 'app_version' }, '>=', '2.3.0'] },
    { and: [{ '!=': [{ var: 'plan' }, 'free'] }, { '<': [{ var: 'signup_days' }, 365] }] },
    { or: [{ '==': [{ var: 'platform' }, 'ios'] }, { '==': [{ var: 'platform' }, 'android'] }] },
    { starts_with: [{ var: 'app_version' }, '3.'] },
    { in: [{ var: 'plan' }, ['team', 'enterprise']] },
    { '>': [{ var: 'signup_days' }, 900] },
    { '==': [{ var: 'country' }, 'US'] },
  ];
  conditions.forEach((condition, i) => {
    out.push({
      key: `targeted-${i}`, kind: 'boolean', enabled: true, default_variant: 'off', off_variant: 'off',
      rules: [
        { id: 'condition', condition, ...(i % 2 === 0 ? { cohorts: { any: [c((i + 5) % 20)] } } : {}), rollout: 50 + 5 * i, serve: { variant: 'on' } },
      ],
    });
  });
  // 5 flags in flagd's format with `fractional` (and an `if` on properties for some).
  for (let i = 0; i < 5; i++) {
    const fractional = { fractional: [['on', 10 + 10 * i], ['off', 90 - 10 * i]] };
    out.push({
      key: `flagd-${i}`, state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off',
      targeting: i % 2 === 0 ? { if: [{ in: [{ var: 'country' }, ['DE', 'AT', 'CH']] }, 'on', fractional] } : fractional,
      metadata: { owner: 'bench', format: 'flagd' },
    });
  }
  // 3 flags with no rules (on for everyone) and 2 switched off.
  for (let i = 0; i < 3; i++) out.push({ key: `static-${i}`, kind: 'boolean', enabled: true, default_variant: 'on', off_variant: 'off', rules: [] });
  for (let i = 0; i < 2; i++) {
    out.push({ key: `killed-${i}`, kind: 'boolean', enabled: false, default_variant: 'on', off_variant: 'off', rules: [{ id: 'all', rollout: 100, serve: { variant: 'on' } }] });
  }
  return out;
}

/** 10 configs with JSON Schemas; rules on cohorts, on conditions and a split. */
export function configs(): Json[] {
  const out: Json[] = [];
  for (let i = 0; i < 10; i++) {
    const schema = {
      type: 'object',
      properties: {
        max_items: { type: 'integer', minimum: 1, maximum: 500 },
        currency: { enum: ['EUR', 'USD', 'GBP'] },
        banner: { type: 'string', maxLength: 200 },
        featured: { type: 'array', items: { type: 'string' }, maxItems: 10 },
      },
      required: ['max_items', 'currency'],
      additionalProperties: false,
    };
    const base = { max_items: 50 + i, currency: 'USD', banner: `Default banner for config ${i}`, featured: ['shoes', 'bags', 'hats'] };
    out.push({
      key: `config-${i}`, schema, default: base,
      rules: [
        { id: 'cohort', cohorts: { all: [c((i * 2) % 20)] }, serve: { value: { ...base, max_items: 100 + i, banner: 'Members get more' } } },
        { id: 'europe', condition: { in: [{ var: 'country' }, ['DE', 'FR', 'ES', 'IT', 'NL', 'AT']] }, serve: { value: { ...base, currency: 'EUR' } } },
        ...(i % 3 === 0
          ? [{ id: 'test', serve: { split: [{ value: { ...base, featured: ['a', 'b'] }, weight: 50 }, { value: { ...base, featured: ['c', 'd', 'e'] }, weight: 50 }] } }]
          : []),
      ],
    });
  }
  return out;
}

/** 5 surveys with cohort and condition rules; two with a response limit (read in the same Lua call). */
export function surveys(): Json[] {
  return Array.from({ length: 5 }, (_, i) => ({
    key: `survey-${i}`, name: `Synthetic survey ${i}`, enabled: true,
    questions: [
      { id: 'nps', type: 'rating', question: 'How likely are you to recommend us to a friend?', scale: 10, lower_label: 'Not likely', upper_label: 'Very likely' },
      { id: 'why', type: 'single_choice', question: 'What matters most to you?', choices: ['Price', 'Quality', 'Speed', 'Support'] },
      { id: 'comment', type: 'open', question: 'Anything else?', optional: true },
    ],
    rules: [
      i % 2 === 0
        ? { id: 'cohort', cohorts: { any: [c((i * 4 + 1) % 20)] } }
        : { id: 'condition', condition: { '>=': [{ var: 'signup_days' }, 100 * i] }, rollout: 40 },
    ],
    triggers: { events: ['purchase'], delay_ms: 2000 },
    ...(i < 2 ? { response_limit: 1000 } : {}),
    wait_period_days: 30,
  }));
}
