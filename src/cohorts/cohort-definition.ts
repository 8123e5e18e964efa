/**
 * The dynamic-cohort definition language (PRODUCT.md 6.1, docs/cohorts.md; its types are in
 * domain/cohort-definition.ts): a boolean tree of AND/OR groups over person-property,
 * behavioural and cohort filters. zod checks the structure; `checkDefinition` (semantics.ts) checks values against operators, windows and
 * size limits. Both report paths like `definition.values[1].values[0].value`.
 */
import { z } from 'zod';
import { CALENDAR_WINDOWS, LIFECYCLE_FILTER_TYPES, PROPERTY_OPERATORS, type LifecycleFilter, type CohortDefinition, type CohortNode, type PropertyTest } from '../domain/cohort-definition.js';

export { CALENDAR_WINDOWS, PROPERTY_OPERATORS };
export type {
  AggregateFilter, CalendarWindow, EventMatch, EventWindow, FirstTimeFilter, LifecycleFilter, RegularlyFilter, RestartedFilter, SequenceFilter, SequenceStep, StoppedFilter,
  BehavioralFilter, CohortFilter, CohortDefinition, CohortNode, GroupNode, PersonFilter, PropertyOperator, PropertyTest, Scalar } from '../domain/cohort-definition.js';

/** Same shape as the core's definition keys, so rules can reference any cohort key. */
export const COHORT_KEY_RE = /^[A-Za-z0-9][A-Za-z0-9_.:\-/]*$/;
export const cohortKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(COHORT_KEY_RE, 'letters, digits and _ . : - /, starting with a letter or digit');

const scalar = z.union([z.string().max(1000), z.number().finite(), z.boolean()]);
const propertyValue = z.union([scalar, z.array(scalar).max(1000)]);

const propertyTestShape = {
  key: z.string().min(1).max(200),
  operator: z.enum(PROPERTY_OPERATORS),
  value: propertyValue.optional(),
  negate: z.boolean().optional(),
};

const propertyTest = z.object(propertyTestShape).strict();

const personFilter = z.object({ type: z.literal('person'), ...propertyTestShape }).strict();

const dateInput = z.union([z.string().max(100), z.number().finite()]);

const eventWindow = z
  .object({ last: z.string().max(20).optional(), from: dateInput.optional(), to: dateInput.optional(), calendar: z.enum(CALENDAR_WINDOWS).optional() })
  .strict();

const behavioralFilter = z
  .object({
    type: z.literal('behavioral'),
    event: z.string().min(1).max(200),
    operator: z.enum(['performed', 'not_performed']).default('performed'),
    count: z.object({ op: z.enum(['gte', 'lte', 'eq']), value: z.number().int().min(0).max(1_000_000) }).strict().optional(),
    window: eventWindow.optional(),
    where: z.array(propertyTest).max(20).optional(),
    negate: z.boolean().optional(),
  })
  .strict();

const eventMatchShape = {
  event: z.string().min(1).max(200),
  where: z.array(propertyTest).max(20).optional(),
};

const firstTimeFilter = z.object({ type: z.literal('first_time'), ...eventMatchShape, window: eventWindow, negate: z.boolean().optional() }).strict();
const stoppedFilter = z.object({ type: z.literal('stopped'), ...eventMatchShape, baseline: eventWindow, recent: eventWindow, negate: z.boolean().optional() }).strict();
const restartedFilter = z
  .object({ type: z.literal('restarted'), ...eventMatchShape, baseline: eventWindow, gap: eventWindow, recent: eventWindow, negate: z.boolean().optional() })
  .strict();
const regularlyFilter = z
  .object({
    type: z.literal('regularly'),
    ...eventMatchShape,
    period: z.enum(['day', 'week']),
    periods: z.number().int().min(1).max(366),
    min_periods: z.number().int().min(1).max(366),
    negate: z.boolean().optional(),
  })
  .strict();
const sequenceStep = z.object(eventMatchShape).strict();
const sequenceFilter = z
  .object({
    type: z.literal('sequence'),
    steps: z.tuple([sequenceStep, sequenceStep]),
    within: z.string().max(20),
    window: eventWindow.optional(),
    negate: z.boolean().optional(),
  })
  .strict();
const aggregateFilter = z
  .object({
    type: z.literal('aggregate'),
    ...eventMatchShape,
    property: z.string().min(1).max(200),
    fn: z.enum(['sum', 'avg', 'min', 'max']),
    op: z.enum(['gt', 'gte', 'lt', 'lte', 'eq']),
    value: z.number().finite(),
    window: eventWindow.optional(),
    negate: z.boolean().optional(),
  })
  .strict();

const cohortFilter = z
  .object({ type: z.literal('cohort'), key: cohortKeySchema, operator: z.enum(['in', 'not_in']), negate: z.boolean().optional() })
  .strict();

/** The structural schema of one node (recursive). */
export const cohortNodeSchema: z.ZodType<CohortNode, z.ZodTypeDef, unknown> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.enum(['AND', 'OR']), negate: z.boolean().optional(), values: z.array(cohortNodeSchema).min(1, 'a group needs at least one condition').max(50) }).strict(),
    personFilter,
    behavioralFilter,
    cohortFilter,
    firstTimeFilter,
    stoppedFilter,
    restartedFilter,
    regularlyFilter,
    sequenceFilter,
    aggregateFilter,
  ]) as z.ZodType<CohortNode, z.ZodTypeDef, unknown>,
);

/** Whether a node is one of the lifecycle / aggregate filters compiled by src/cohorts/filters/. */
export const isLifecycleFilter = (node: CohortNode): node is LifecycleFilter => (LIFECYCLE_FILTER_TYPES as readonly string[]).includes(node.type);

/** Visits every node with its path (zod-style segments, relative to the definition root). */
export function walkCohortDefinition(
  node: CohortNode,
  visit: (node: CohortNode, path: Array<string | number>, depth: number) => void,
  path: Array<string | number> = [],
  depth = 1,
): void {
  visit(node, path, depth);
  if (node.type === 'AND' || node.type === 'OR') {
    node.values.forEach((child, i) => walkCohortDefinition(child, visit, [...path, 'values', i], depth + 1));
  }
}

/** Every cohort reference in a definition, with its path. */
export function cohortReferences(def: CohortDefinition): Array<{ key: string; path: Array<string | number> }> {
  const out: Array<{ key: string; path: Array<string | number> }> = [];
  walkCohortDefinition(def, (node, path) => {
    if (node.type === 'cohort') out.push({ key: node.key, path });
  });
  return out;
}

/** Every regex pattern (person and event-property filters), with the path of its value. */
export function regexPatterns(def: CohortDefinition): Array<{ pattern: string; path: Array<string | number> }> {
  const out: Array<{ pattern: string; path: Array<string | number> }> = [];
  const test = (t: PropertyTest, path: Array<string | number>) => {
    if ((t.operator === 'regex' || t.operator === 'not_regex') && typeof t.value === 'string') out.push({ pattern: t.value, path: [...path, 'value'] });
  };
  walkCohortDefinition(def, (node, path) => {
    if (node.type === 'person') test(node, path);
    if (node.type === 'sequence') node.steps.forEach((s, j) => s.where?.forEach((w, i) => test(w, [...path, 'steps', j, 'where', i])));
    else if ('where' in node) node.where?.forEach((w, i) => test(w, [...path, 'where', i]));
  });
  return out;
}
