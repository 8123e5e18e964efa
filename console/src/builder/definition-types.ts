/**
 * The dynamic-cohort definition language as the console sees it (docs/cohorts.md; the
 * server's zod schema is src/cohorts/definition.ts). Plain JSON types, no validation.
 */
export const PROPERTY_OPERATORS = [
  'eq', 'neq', 'in', 'not_in', 'contains', 'icontains', 'regex', 'not_regex',
  'gt', 'gte', 'lt', 'lte', 'is_set', 'is_not_set', 'before', 'after',
] as const;
export type PropertyOperator = (typeof PROPERTY_OPERATORS)[number];

export type Scalar = string | number | boolean;

export interface PropertyTest {
  key: string;
  operator: PropertyOperator;
  value?: Scalar | Scalar[];
  negate?: boolean;
}

export interface PersonFilter extends PropertyTest {
  type: 'person';
}

export interface BehavioralFilter {
  type: 'behavioral';
  event: string;
  operator?: 'performed' | 'not_performed';
  count?: { op: 'gte' | 'lte' | 'eq'; value: number };
  window?: { last?: string; from?: string | number; to?: string | number };
  where?: PropertyTest[];
  negate?: boolean;
}

export interface CohortFilter {
  type: 'cohort';
  key: string;
  operator: 'in' | 'not_in';
  negate?: boolean;
}

export interface GroupNode {
  type: 'AND' | 'OR';
  negate?: boolean;
  values: DefinitionNode[];
}

export type DefinitionNode = GroupNode | PersonFilter | BehavioralFilter | CohortFilter;
