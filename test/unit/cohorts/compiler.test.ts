import { describe, expect, it } from 'vitest';
import { bindPersonIds, CohortCompileError, compileCohort, type CompileContext } from '../../../src/cohorts/compiler.js';
import type { CohortDefinition } from '../../../src/cohorts/cohort-definition.js';
import { validateCohortDefinition } from '../../../src/cohorts/validate-cohort-definition.js';

const NOW = Date.UTC(2024, 5, 1);
const ctx = (extra: Partial<CompileContext> = {}): CompileContext => ({ projectId: 7, now: NOW, cohortRefs: new Map(), ...extra });

const EVIL = [`'; DROP TABLE events; --`, `") OR 1=1 --`, `$1`, `\\' OR ''='`, `x%_\\`, `properties`, `persons`];

describe('compileCohort', () => {
  it('keeps every user string out of the SQL text', () => {
    for (const evil of EVIL) {
      const def: CohortDefinition = {
        type: 'OR',
        values: [
          { type: 'person', key: evil, operator: 'eq', value: evil },
          { type: 'person', key: evil, operator: 'in', value: [evil, 5] },
          { type: 'person', key: evil, operator: 'icontains', value: evil },
          { type: 'person', key: evil, operator: 'regex', value: evil },
          { type: 'behavioral', event: evil, where: [{ key: evil, operator: 'contains', value: evil }] },
          { type: 'behavioral', event: `${evil}*` },
          { type: 'cohort', key: 'ref', operator: 'not_in' },
        ],
      };
      const refs = new Map([['ref', { id: 3, kind: 'dynamic' as const, definition: { type: 'person', key: evil, operator: 'neq', value: evil } as CohortDefinition }]]);
      const q = compileCohort(def, ctx({ cohortRefs: refs }));
      // Fixed identifiers and placeholders (`properties`, `$1`) are in the SQL anyway; the rest must not be.
      if (!['properties', 'persons', '$1'].includes(evil)) expect(q.text).not.toContain(evil);
      expect(q.text).not.toMatch(/DROP|1=1/);
      expect(q.values).toContain(evil);
      expect(q.values[0]).toBe(7);
    }
  });

  it('escapes LIKE wildcards in event prefixes', () => {
    const q = compileCohort({ type: 'behavioral', event: 'core_action%\\*' }, ctx());
    expect(q.text).toContain('e.event LIKE $2::text');
    expect(q.values[1]).toBe('core\\_action\\%\\\\%');
  });

  it('compiles windows from the injected now', () => {
    const q = compileCohort({ type: 'behavioral', event: 'a', window: { last: '30d' } }, ctx());
    expect(q.values).toContain(new Date(NOW - 30 * 86_400_000).toISOString());
    expect(q.values).toContain(new Date(NOW).toISOString());
  });

  it('uses predicates for property-only trees and set operations otherwise', () => {
    const props = compileCohort({ type: 'AND', values: [{ type: 'person', key: 'a', operator: 'is_set' }, { type: 'person', key: 'b', operator: 'gt', value: 3 }] }, ctx());
    expect(props.text).not.toMatch(/INTERSECT|UNION|EXCEPT/);
    const mixed = compileCohort({ type: 'AND', values: [{ type: 'person', key: 'a', operator: 'is_set' }, { type: 'behavioral', event: 'x', operator: 'not_performed' }] }, ctx());
    // a AND NOT b: the persons matching a, EXCEPT b's set (never "all persons EXCEPT b" first).
    expect(mixed.text).toMatch(/EXCEPT/);
    expect(mixed.text).not.toMatch(/INTERSECT|NOT IN/);
    expect(mixed.text.match(/FROM persons p/g)).toHaveLength(1);
  });

  it('compiles b AND NOT a as b EXCEPT a, and only a lone NOT as all persons EXCEPT a', () => {
    const b = { type: 'behavioral', event: 'purchase', count: { op: 'gte', value: 3 } } as const;
    const a = { type: 'behavioral', event: 'refund' } as const;
    const nested = compileCohort({ type: 'AND', values: [b, { ...a, negate: true }] }, ctx());
    expect(nested.text).not.toMatch(/FROM persons p/);
    expect(nested.text).toMatch(/HAVING count\(\*\) >= \$\d+::bigint\) EXCEPT \(SELECT pdi\.person_id FROM events/);
    const lone = compileCohort({ ...a, negate: true }, ctx());
    expect(lone.text).toMatch(/^\(SELECT p\.id AS person_id FROM persons p WHERE p\.project_id = \$1\) EXCEPT/);
    // A property filter on a set looks each member's person up by primary key, never a scan of every person.
    const filtered = compileCohort({ type: 'AND', values: [b, { type: 'person', key: 'country', operator: 'eq', value: 'US', negate: true }] }, ctx());
    expect(filtered.text).toContain('FROM persons p WHERE p.id = s.person_id AND p.project_id = $1)');
    expect(filtered.text).not.toMatch(/EXCEPT|INTERSECT/);
  });

  it('restricts to person ids through $2', () => {
    const q = bindPersonIds(compileCohort({ type: 'behavioral', event: 'x' }, ctx({ restrictToPersonIds: true })), [1, 2]);
    expect(q.text).toContain('r.person_id = ANY($2::bigint[])');
    expect(q.values[1]).toEqual([1, 2]);
  });

  it('refuses missing references and cycles', () => {
    expect(() => compileCohort({ type: 'cohort', key: 'x', operator: 'in' }, ctx())).toThrow(CohortCompileError);
    const refs = new Map([
      ['a', { id: 1, kind: 'dynamic' as const, definition: { type: 'cohort', key: 'b', operator: 'in' } as CohortDefinition }],
      ['b', { id: 2, kind: 'dynamic' as const, definition: { type: 'cohort', key: 'a', operator: 'in' } as CohortDefinition }],
    ]);
    try {
      compileCohort({ type: 'cohort', key: 'a', operator: 'in' }, ctx({ cohortRefs: refs }), 'c');
      expect.unreachable();
    } catch (err) {
      expect((err as CohortCompileError).code).toBe('validation_error');
      expect((err as Error).message).toMatch(/c -> a -> b -> a/);
    }
  });

  it('compiles every operator of a validated definition', () => {
    const ops: Array<[string, unknown]> = [
      ['eq', 'x'], ['neq', 1], ['in', ['a', true]], ['not_in', [1]], ['contains', 'x'], ['icontains', 'X'], ['regex', '^a'], ['not_regex', 'b$'],
      ['gt', 1], ['gte', 1], ['lt', 1], ['lte', 1], ['is_set', undefined], ['is_not_set', undefined], ['before', '-30d'], ['after', '2024-01-01'],
    ];
    for (const [operator, value] of ops) {
      const v = validateCohortDefinition({ type: 'person', key: 'k', operator, ...(value === undefined ? {} : { value }) });
      expect(v.issues).toEqual([]);
      const q = compileCohort(v.definition!, ctx());
      expect(q.text).toMatch(/^SELECT p\.id AS person_id FROM persons p WHERE p\.project_id = \$1 AND/);
    }
  });
});
