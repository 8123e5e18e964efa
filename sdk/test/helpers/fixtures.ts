import type { Service } from './server.js';

/** The definitions SDK tests decide on: a three-way split, a targeted boolean, a payload, a config, surveys. */
export async function defineFixtures(s: Service, opts: { surveys?: boolean } = {}): Promise<void> {
  await s.admin('POST', '/flags', {
    key: 'checkout', enabled: true, default_variant: 'a', off_variant: 'a',
    variants: { a: { value: 'a' }, b: { value: 'b', payload: { color: 'blue' } }, c: { value: 'c' } },
    rules: [{ id: 'abc', serve: { split: [{ variant: 'a', weight: 34 }, { variant: 'b', weight: 33 }, { variant: 'c', weight: 33 }] } }],
  });
  await s.admin('POST', '/flags', {
    key: 'beta', enabled: true, default_variant: 'off', off_variant: 'off',
    rules: [{ id: 'pro', condition: { '==': [{ var: 'plan' }, 'pro'] }, serve: { variant: 'on' } }],
  });
  await s.admin('POST', '/flags', { key: 'everyone', enabled: true, default_variant: 'on', off_variant: 'off' });
  await s.admin('POST', '/configs', { key: 'limits', schema: { type: 'object' }, default: { max_items: 10 } });
  if (!opts.surveys) return;
  const questions = [{ id: 'q', type: 'rating', question: 'How likely?', scale: 10 }];
  await s.admin('POST', '/surveys', { key: 'nps', name: 'NPS', enabled: true, questions, triggers: { events: ['purchase'], delay_ms: 50 }, wait_period_days: 30 });
  await s.admin('POST', '/surveys', { key: 'welcome', name: 'Welcome', enabled: true, questions, triggers: { url_pattern: '/welcome$' } });
}

export const until = async (check: () => boolean | Promise<boolean>, timeoutMs = 20_000, stepMs = 25): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
};
