/**
 * The console's cohort builder maps a definition to its form and back without changing it:
 * JSON -> form -> JSON is the identity for every fixture (test/cases/cohort-definitions.json,
 * rules/demo/cohorts/) and for generated definitions (fast-check).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateCohortDefinition as validateDefinition } from '../../../src/cohorts/validate-cohort-definition.js';
import { PROPERTY_OPERATORS as SERVER_OPERATORS, isLifecycleFilter, walkCohortDefinition, type CohortDefinition } from '../../../src/cohorts/cohort-definition.js';
import { definitionToForm, FormMappingError } from '../../../console/src/builder/to-form.js';
import { formToDefinition } from '../../../console/src/builder/to-definition.js';
import { PROPERTY_OPERATORS } from '../../../console/src/builder/definition-types.js';
import { adaptValue, OPERATOR_INFO } from '../../../console/src/builder/operators.js';

const fixtures = (JSON.parse(readFileSync('test/cases/cohort-definitions.json', 'utf8')) as { cases: Array<{ name: string; definition: unknown }> }).cases;
const demoDir = 'rules/demo/cohorts';
const demo = readdirSync(demoDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(path.join(demoDir, f), 'utf8')) as { key: string; definition?: unknown })
  .filter((c) => c.definition !== undefined)
  .map((c) => ({ name: `rules/demo/cohorts/${c.key}`, definition: c.definition }));

const roundTrip = (d: unknown) => formToDefinition(definitionToForm(d));

/** Lifecycle filters (first_time, stopped, …) and calendar windows have no builder form yet: the console edits them as JSON. */
const builderShows = (d: unknown) => {
  let ok = true;
  walkCohortDefinition(d as CohortDefinition, (n) => {
    if (isLifecycleFilter(n) || (n.type === 'behavioral' && n.window?.calendar !== undefined)) ok = false;
  });
  return ok;
};

describe('cohort definition fixtures', () => {
  it.each([...fixtures, ...demo].filter((f) => builderShows(f.definition)).map((f) => [f.name, f.definition] as const))('%s is valid and round-trips', (_name, definition) => {
    expect(validateDefinition(definition).issues).toEqual([]);
    expect(roundTrip(definition)).toEqual(definition);
  });

  it.each(demo.filter((f) => !builderShows(f.definition)).map((f) => [f.name, f.definition] as const))('%s (a lifecycle filter) is valid and left to the JSON view, with the path', (_name, definition) => {
    expect(validateDefinition(definition).issues).toEqual([]);
    expect(() => definitionToForm(definition)).toThrow(/definition(\.values\[\d+\])*\.(type|window\.calendar)/);
  });

  it('cover every operator, count, window and node type of the language', () => {
    const seen = new Set<string>();
    const visit = (n: Record<string, unknown>) => {
      seen.add(`type:${n.type}`);
      if (n.negate !== undefined) seen.add(`negate:${n.type}`);
      if (n.type === 'person') seen.add(`op:${n.operator}`);
      if (n.type === 'cohort') seen.add(`cohort:${n.operator}`);
      if (n.type === 'behavioral') {
        seen.add(`behavioral:${n.operator ?? 'default'}`);
        const c = n.count as { op: string } | undefined;
        if (c) seen.add(`count:${c.op}`);
        for (const k of Object.keys((n.window as object) ?? {})) seen.add(`window:${k}`);
        for (const w of (n.where as Array<{ operator: string }>) ?? []) seen.add(`where:${w.operator}`);
      }
      for (const c of (n.values as Array<Record<string, unknown>>) ?? []) visit(c);
    };
    fixtures.forEach((f) => visit(f.definition as Record<string, unknown>));
    const wanted = [
      ...SERVER_OPERATORS.flatMap((op) => [`op:${op}`, `where:${op}`]),
      'type:AND', 'type:OR', 'type:person', 'type:behavioral', 'type:cohort',
      'negate:AND', 'negate:OR', 'negate:person', 'negate:behavioral', 'negate:cohort',
      'cohort:in', 'cohort:not_in', 'behavioral:default', 'behavioral:performed', 'behavioral:not_performed',
      'count:gte', 'count:lte', 'count:eq', 'window:last', 'window:from', 'window:to',
    ];
    expect(wanted.filter((w) => !seen.has(w))).toEqual([]);
  });

  it('uses the server operator list', () => {
    expect([...PROPERTY_OPERATORS]).toEqual([...SERVER_OPERATORS]);
    expect(Object.keys(OPERATOR_INFO).sort()).toEqual([...SERVER_OPERATORS].sort());
  });
});

// Generated valid definitions: every node type, operator and option, nested up to 3 deep.
const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
const text = fc.string({ minLength: 1, maxLength: 12 });
const num = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)));
const scalar = fc.oneof(text, num, fc.boolean());
const date = fc.oneof(fc.constantFrom('-30d', '-12h', '-2w', '2024-05-01', '2024-05-01T10:00:00Z'), fc.integer({ min: 0, max: 2e12 }));
const negate = fc.option(fc.boolean(), { nil: undefined });
const withNegate = <T extends object>(o: T, n: boolean | undefined) => (n === undefined ? o : { ...o, negate: n });

const propertyTest = fc
  .tuple(key, fc.constantFrom(...SERVER_OPERATORS), scalar, fc.array(scalar, { minLength: 1, maxLength: 4 }), text, num, date, negate)
  .map(([k, operator, s, list, t, n, d, neg]) => {
    const shape = OPERATOR_INFO[operator].shape;
    const value = shape === 'none' ? undefined : shape === 'list' ? list : shape === 'text' ? t : shape === 'number' ? n : shape === 'date' ? d : s;
    return withNegate({ key: k, operator, ...(value === undefined ? {} : { value }) }, neg);
  });

const behavioral = fc
  .tuple(
    fc.oneof(key, key.map((k) => `${k}_*`), fc.constant('*')),
    fc.option(fc.constantFrom('performed', 'not_performed'), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom('gte', 'lte', 'eq'), fc.integer({ min: 1, max: 1000 })), { nil: undefined }),
    fc.option(fc.oneof(fc.constantFrom('30d', '12h', '2w').map((last) => ({ last })), fc.constant({ from: '-30d' }), fc.constant({ to: '2024-01-01' }), fc.constant({ from: 1714000000000, to: '2024-05-01' })), { nil: undefined }),
    fc.option(fc.array(propertyTest, { maxLength: 3 }), { nil: undefined }),
    negate,
  )
  .map(([event, operator, count, window, where, neg]) =>
    withNegate({ type: 'behavioral', event, ...(operator ? { operator } : {}), ...(count ? { count: { op: count[0], value: count[1] } } : {}), ...(window ? { window } : {}), ...(where ? { where } : {}) }, neg),
  );

const leaf = fc.oneof(
  propertyTest.map((t) => ({ type: 'person', ...t })),
  behavioral,
  fc.tuple(key, fc.constantFrom('in', 'not_in'), negate).map(([k, operator, neg]) => withNegate({ type: 'cohort', key: k, operator }, neg)),
);
const { node } = fc.letrec<{ node: unknown; group: unknown }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('group')),
  group: fc.tuple(fc.constantFrom('AND', 'OR'), fc.array(tie('node'), { minLength: 1, maxLength: 4 }), negate).map(([type, values, neg]) => withNegate({ type, values }, neg)),
}));

describe('generated definitions', () => {
  it('are valid and round-trip through the form', () => {
    fc.assert(
      fc.property(node, (def) => {
        expect(validateDefinition(def).issues).toEqual([]);
        expect(roundTrip(def)).toEqual(def);
      }),
      { numRuns: 300 },
    );
  });
});

describe('builder helpers', () => {
  it('reshapes a value when the operator changes', () => {
    const v = { kind: 'scalar' as const, scalar: { type: 'string' as const, text: 'DE' } };
    expect(adaptValue(v, 'in')).toEqual({ kind: 'list', items: [{ type: 'string', text: 'DE' }] });
    expect(adaptValue(v, 'is_set')).toEqual({ kind: 'none' });
    expect(adaptValue(v, 'gt')).toEqual({ kind: 'scalar', scalar: { type: 'number', text: 'DE' } });
    expect(adaptValue({ kind: 'none' }, 'after')).toEqual({ kind: 'scalar', scalar: { type: 'string', text: '-30d' } });
  });

  it('refuses what the builder cannot show, naming the path', () => {
    expect(() => definitionToForm({ type: 'AND', values: [{ type: 'XOR' }] })).toThrow(FormMappingError);
    expect(() => definitionToForm({ type: 'AND', values: [{ type: 'XOR' }] })).toThrow(/definition\.values\[0\]\.type/);
  });

  it('keeps a number that does not parse as text, so the server names the field', () => {
    const form = definitionToForm({ type: 'person', key: 'age', operator: 'gt', value: 3 });
    if (form.type !== 'person' || form.value.kind !== 'scalar') throw new Error('unexpected form');
    form.value.scalar.text = 'three';
    expect(formToDefinition(form)).toEqual({ type: 'person', key: 'age', operator: 'gt', value: 'three' });
  });
});
