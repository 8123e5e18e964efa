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
  /** absent for is_set / is_not_set; an array for in / not_in (and for contains / icontains: any of them) */
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
  window?: EventWindow;
  /** event-property tests, all of which must hold */
  where?: PropertyTest[];
  negate?: boolean;
}

/** Calendar periods in the project's time zone (weeks start on Monday, ISO 8601). */
export const CALENDAR_WINDOWS = [
  'today', 'yesterday', 'this_week', 'last_week', 'this_month', 'last_month', 'this_quarter', 'last_quarter', 'this_year', 'last_year',
] as const;
export type CalendarWindow = (typeof CALENDAR_WINDOWS)[number];

/**
 * A time window over events, one of:
 * - `{ last: '30d' | '12h' | '2w' | '3m' | '1y' }`: up to now (m: calendar months, y: years,
 *   counted back in the project's time zone);
 * - `{ from?, to? }`: dates (both ends inclusive; relative dates `-30d`, `-3m` allowed);
 * - `{ calendar: 'this_month' | 'last_week' | … }`: a calendar period in the project's time
 *   zone, start inclusive, end exclusive.
 */
export interface EventWindow {
  last?: string;
  from?: string | number;
  to?: string | number;
  calendar?: CalendarWindow;
}

/** Which events a lifecycle filter looks at: a name (or prefix wildcard) and event-property tests. */
export interface EventMatch {
  /** exact event name, or a prefix wildcard `core_action_*` (`*` alone: any event) */
  event: string;
  /** event-property tests, all of which must hold */
  where?: PropertyTest[];
}

/** Performed E for the first time ever (over all history) inside `window`. */
export interface FirstTimeFilter extends EventMatch {
  type: 'first_time';
  window: EventWindow;
  negate?: boolean;
}

/** Performed E in `baseline` and not in `recent` (e.g. baseline last 365d, recent last 60d). */
export interface StoppedFilter extends EventMatch {
  type: 'stopped';
  baseline: EventWindow;
  recent: EventWindow;
  negate?: boolean;
}

/** Performed E in `baseline`, not in `gap`, then again in `recent`. */
export interface RestartedFilter extends EventMatch {
  type: 'restarted';
  baseline: EventWindow;
  gap: EventWindow;
  recent: EventWindow;
  negate?: boolean;
}

/**
 * Performed E in at least `min_periods` of the `periods` consecutive calendar periods (days or
 * weeks, project time zone) ending with the current one (which counts although not over).
 */
export interface RegularlyFilter extends EventMatch {
  type: 'regularly';
  period: 'day' | 'week';
  periods: number;
  min_periods: number;
  negate?: boolean;
}

/** One step of a sequence: an event name and event-property tests. */
export type SequenceStep = EventMatch;

/**
 * Performed step A then step B (strictly later) at most `within` after it (a duration: 30m is
 * not allowed, use 1h; 1d, 2w). The A event must lie in `window` when given.
 */
export interface SequenceFilter {
  type: 'sequence';
  steps: [SequenceStep, SequenceStep];
  within: string;
  window?: EventWindow;
  negate?: boolean;
}

/** sum / avg / min / max of a numeric event property over the window, compared with a value. */
export interface AggregateFilter extends EventMatch {
  type: 'aggregate';
  property: string;
  fn: 'sum' | 'avg' | 'min' | 'max';
  op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq';
  value: number;
  window?: EventWindow;
  negate?: boolean;
}

/** The behavioural filters beyond "performed N times" (compiled by src/cohorts/filters/). */
export type LifecycleFilter = FirstTimeFilter | StoppedFilter | RestartedFilter | RegularlyFilter | SequenceFilter | AggregateFilter;
export const LIFECYCLE_FILTER_TYPES = ['first_time', 'stopped', 'restarted', 'regularly', 'sequence', 'aggregate'] as const;

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

export type CohortNode = GroupNode | PersonFilter | BehavioralFilter | CohortFilter | LifecycleFilter;
/** A saved dynamic definition: any node, usually a group. */
export type CohortDefinition = CohortNode;

