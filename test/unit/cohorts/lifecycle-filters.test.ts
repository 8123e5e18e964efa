import { describe, expect, it } from 'vitest';
import { validateCohortDefinition } from '../../../src/cohorts/validate-cohort-definition.js';
import { compileCohort } from '../../../src/cohorts/compiler.js';
import { durationParts, minusMonthsUtc, resolveDate } from '../../../src/cohorts/dates.js';
import type { CohortDefinition } from '../../../src/domain/cohort-definition.js';

const paths = (input: unknown) => validateCohortDefinition(input).issues.map((i) => i.path);
const NOW = Date.UTC(2024, 2, 31, 12);

describe('lifecycle filter validation', () => {
  it('accepts each filter', () => {
    const ok = [
      { type: 'first_time', event: 'purchase', window: { calendar: 'this_month' } },
      { type: 'stopped', event: 'purchase', baseline: { last: '1y' }, recent: { last: '60d' } },
      { type: 'restarted', event: 'purchase', baseline: { to: '-6m' }, gap: { from: '-6m', to: '-1m' }, recent: { last: '1m' } },
      { type: 'regularly', event: 'login', period: 'week', periods: 8, min_periods: 4, negate: true },
      { type: 'sequence', steps: [{ event: 'signup' }, { event: 'purchase', where: [{ key: 'total', operator: 'gt', value: 10 }] }], within: '7d', window: { last: '3m' } },
      { type: 'aggregate', event: 'purchase', property: 'revenue', fn: 'sum', op: 'gte', value: 100, window: { last: '30d' } },
      { type: 'behavioral', event: 'purchase', window: { calendar: 'last_week' } },
    ];
    for (const def of ok) expect(validateCohortDefinition(def).issues, JSON.stringify(def)).toEqual([]);
  });

  it('names the path of every error', () => {
    const bad: Array<[unknown, string]> = [
      [{ type: 'first_time', event: 'purchase' }, 'definition.window'],
      [{ type: 'first_time', event: 'purchase', window: {} }, 'definition.window'],
      [{ type: 'first_time', event: 'a*b', window: { last: '1d' } }, 'definition.event'],
      [{ type: 'first_time', event: 'a', window: { last: '1d', calendar: 'today' } }, 'definition.window'],
      [{ type: 'first_time', event: 'a', window: { calendar: 'next_week' } }, 'definition.window.calendar'],
      [{ type: 'stopped', event: 'a', baseline: { last: '10x' }, recent: { last: '1d' } }, 'definition.baseline.last'],
      [{ type: 'stopped', event: 'a', baseline: { last: '10d' } }, 'definition.recent'],
      [{ type: 'restarted', event: 'a', baseline: { last: '10d' }, gap: { from: 'soon' }, recent: { last: '1d' } }, 'definition.gap.from'],
      [{ type: 'regularly', event: 'a', period: 'week', periods: 4, min_periods: 5 }, 'definition.min_periods'],
      [{ type: 'regularly', event: 'a', period: 'month', periods: 4, min_periods: 1 }, 'definition.period'],
      [{ type: 'regularly', event: 'a', period: 'day', periods: 0, min_periods: 1 }, 'definition.periods'],
      [{ type: 'sequence', steps: [{ event: 'a' }], within: '1d' }, 'definition.steps'],
      [{ type: 'sequence', steps: [{ event: 'a' }, { event: 'b' }], within: '1m' }, 'definition.within'],
      [{ type: 'sequence', steps: [{ event: 'a' }, { event: 'b', where: [{ key: 'x', operator: 'gt', value: 'y' }] }], within: '1d' }, 'definition.steps[1].where[0].value'],
      [{ type: 'aggregate', event: 'a', property: 'p', fn: 'median', op: 'gt', value: 1 }, 'definition.fn'],
      [{ type: 'aggregate', event: 'a', property: 'p', fn: 'sum', op: 'gt', value: '1' }, 'definition.value'],
      [{ type: 'aggregate', event: 'a', property: '', fn: 'sum', op: 'gt', value: 1 }, 'definition.property'],
    ];
    for (const [input, path] of bad) expect(paths(input), JSON.stringify(input)).toContain(path);
  });
});

describe('lifecycle filter compilation', () => {
  it('binds every user value as a parameter and reads the project time zone in the statement', () => {
    const def = { type: 'sequence', steps: [{ event: "x'; DROP TABLE events; --" }, { event: 'b' }], within: '1d', window: { calendar: 'this_month' } } as CohortDefinition;
    const q = compileCohort(def, { projectId: 7, now: NOW, cohortRefs: new Map() });
    expect(q.text).not.toContain('DROP TABLE');
    expect(q.values).toContain("x'; DROP TABLE events; --");
    expect(q.text).toContain('(SELECT pr.time_zone FROM projects pr WHERE pr.id = $1)');
    const withZone = compileCohort(def, { projectId: 7, now: NOW, cohortRefs: new Map(), timeZone: 'Europe/Paris' });
    expect(withZone.values).toContain('Europe/Paris');
    expect(withZone.text).not.toContain('pr.time_zone');
  });

  it('negates a lifecycle filter as universe EXCEPT set', () => {
    const q = compileCohort({ type: 'first_time', event: 'a', window: { last: '1d' }, negate: true } as CohortDefinition, { projectId: 1, now: NOW, cohortRefs: new Map() });
    expect(q.text).toMatch(/EXCEPT/);
  });
});

describe('months and years', () => {
  it('clamps to the end of shorter months, in UTC', () => {
    expect(new Date(minusMonthsUtc(NOW, 1)).toISOString()).toBe('2024-02-29T12:00:00.000Z');
    expect(new Date(resolveDate('-1y', Date.UTC(2024, 1, 29))).toISOString()).toBe('2023-02-28T00:00:00.000Z');
    expect(durationParts('3m')).toEqual({ amount: 3, unit: 'm' });
    expect(durationParts('-2y')).toEqual({ amount: 2, unit: 'y' });
  });
});
