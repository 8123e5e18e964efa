/**
 * The cohorts `npm run bench:cohorts` materializes (issue 16), shared by bench/cohorts.ts,
 * bench/cohorts-plans.ts and bench/cohorts-profile.ts. Sizes on the 1M-person, 10M-event
 * data set of bench/cohorts-data.ts: ~300,000, ~12,000, ~8,000, ~120,000, ~8,000 members.
 */
export const property = { type: 'person', key: 'country', operator: 'eq', value: 'US' };
export const behavioural = { type: 'behavioral', event: 'purchase', count: { op: 'gte', value: 3 }, window: { last: '30d' } };
export const cart = { type: 'behavioral', event: 'add_to_cart', window: { last: '7d' } };

/** By cohort key. `buyers-no-cart-7d` is `b AND NOT a` over two behavioural sets (compiled as `b EXCEPT a`). */
export const DEFINITIONS: Record<string, unknown> = {
  'property-us': property,
  'purchase-3x-30d': behavioural,
  'buyers-not-us': { type: 'AND', values: [behavioural, { ...property, negate: true }] },
  'cart-7d': cart,
  'buyers-no-cart-7d': { type: 'AND', values: [behavioural, { ...cart, negate: true }] },
};
