import { describe, expect, it } from 'vitest';
import { allowedUserActions, isReadable, transition, type Action, type CohortState } from '../../../src/cohorts/lifecycle.js';

// [from, action, to | null (refused)]: the whole table of PRODUCT.md 6.2.
const cases: Array<[CohortState, Action, CohortState | null]> = [
  ['building', 'complete', 'active'],
  ['building', 'archive', 'archived'],
  ['building', 'pause', null],
  ['building', 'resume', null],
  ['building', 'restore', null],
  ['active', 'pause', 'paused'],
  ['active', 'archive', 'archived'],
  ['active', 'resume', null],
  ['active', 'restore', null],
  ['active', 'complete', null],
  ['paused', 'resume', 'active'],
  ['paused', 'archive', 'archived'],
  ['paused', 'pause', null],
  ['paused', 'restore', null],
  ['paused', 'complete', null],
  ['archived', 'restore', 'building'],
  ['archived', 'archive', null],
  ['archived', 'pause', null],
  ['archived', 'resume', null],
  ['archived', 'complete', null],
];

describe('cohort lifecycle', () => {
  it.each(cases)('%s --%s--> %s', (from, action, to) => {
    const r = transition(from, action);
    if (to) expect(r).toEqual({ ok: true, to });
    else expect(r).toEqual({ ok: false, allowed: allowedUserActions(from) });
  });

  it('lists the admin actions allowed from each state, never the system one', () => {
    expect(allowedUserActions('building')).toEqual(['archive']);
    expect(allowedUserActions('active')).toEqual(['pause', 'archive']);
    expect(allowedUserActions('paused')).toEqual(['resume', 'archive']);
    expect(allowedUserActions('archived')).toEqual(['restore']);
  });

  it('reads membership only from active and paused cohorts', () => {
    expect(['building', 'active', 'paused', 'archived'].filter((s) => isReadable(s as CohortState))).toEqual(['active', 'paused']);
  });
});
