/**
 * The dynamic-cohort definition language (PRODUCT.md 6.1, docs/cohorts.md) as types: a
 * boolean tree of AND/OR groups over person-property, behavioural and cohort filters. Its zod
 * schema, validation and SQL compiler live in src/cohorts/.
 */

/** Operators shared by person-property filters and event-property (`where`) filters. */
export const PROPERTY_OPERATORS = [
  'eq', 'neq', 'in', 'not_in', 'contains', 'icontains', 'regex', 'not_regex',
  'gt', 'gte', 'lt', 'lte', 'is_set', 'is_not_set', 'before', 'after',
] as const;
export type PropertyOperator = (typeof PROPERTY_OPERATORS)[number];

/** A scalar a filter compares with; dates are ISO strings, unix ms or relative (`-30d`). */
export type Scalar = string | number | boolean;

/** One property test, on a person (`type: person`) or on an event (inside `where`). */
export interface PropertyTest {
  key: string;
  operator: PropertyOperator;
  /** absent for is_set / is_not_set; an array for in / not_in */
  value?: Scalar | Scalar[];
  negate?: boolean;
}

export interface PersonFilter extends PropertyTest {
  type: 'person';
}

/** "Performed E [where …] N times [in a window]", or its negation `not_performed`. */
export interface BehavioralFilter {
  type: 'behavioral';
  /** exact event name, or a prefix wildcard `core_action_*` (`*` alone: any event) */
  event: string;
  /** default `performed` */
  operator?: 'performed' | 'not_performed';
  /** default `{ op: 'gte', value: 1 }` */
  count?: { op: 'gte' | 'lte' | 'eq'; value: number };
  /** `{ last: '30d' | '12h' | '2w' }`, or `{ from?, to? }` dates (both ends inclusive) */
  window?: { last?: string; from?: string | number; to?: string | number };
  /** event-property tests, all of which must hold */
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
  values: CohortNode[];
}

export type CohortNode = GroupNode | PersonFilter | BehavioralFilter | CohortFilter;
/** A saved dynamic definition: any node, usually a group. */
export type CohortDefinition = CohortNode;

