/**
 * The dynamic-cohort definition language (PRODUCT.md 6.1, docs/cohorts.md; its types are in
 * domain/cohort-definition.ts): a boolean tree of AND/OR groups over person-property,
 * behavioural and cohort filters. zod checks the structure; `checkDefinition` (semantics.ts) checks values against operators, windows and
 * size limits. Both report paths like `definition.values[1].values[0].value`.
 */
import { z } from 'zod';
import { PROPERTY_OPERATORS, type CohortDefinition, type CohortNode, type PropertyTest } from '../domain/cohort-definition.js';

export { PROPERTY_OPERATORS };
export type { BehavioralFilter, CohortFilter, CohortDefinition, CohortNode, GroupNode, PersonFilter, PropertyOperator, PropertyTest, Scalar } from '../domain/cohort-definition.js';

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

const behavioralFilter = z
  .object({
    type: z.literal('behavioral'),
    event: z.string().min(1).max(200),
    operator: z.enum(['performed', 'not_performed']).default('performed'),
    count: z.object({ op: z.enum(['gte', 'lte', 'eq']), value: z.number().int().min(0).max(1_000_000) }).strict().optional(),
    window: z.object({ last: z.string().max(20).optional(), from: dateInput.optional(), to: dateInput.optional() }).strict().optional(),
    where: z.array(propertyTest).max(20).optional(),
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
  ]) as z.ZodType<CohortNode, z.ZodTypeDef, unknown>,
);

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
    if (node.type === 'behavioral') node.where?.forEach((w, i) => test(w, [...path, 'where', i]));
  });
  return out;
}
