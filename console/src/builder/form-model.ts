/**
 * The builder's form state: what the inputs edit. Every value is kept as the text an input
 * shows plus its JSON type, so JSON -> form -> JSON gives back the same definition
 * (to-form.ts, to-definition.ts). Optional fields stay absent until the user sets them.
 */
import type { PropertyOperator } from './definition-types.js';

/** A scalar as an input edits it: the text and the JSON type it turns into. */
export interface ScalarField {
  type: 'string' | 'number' | 'boolean';
  text: string;
}

/** An operator's value: none (is_set), one scalar, or a list (in / not_in). */
export type ValueField = { kind: 'none' } | { kind: 'scalar'; scalar: ScalarField } | { kind: 'list'; items: ScalarField[] };

export interface PropertyTestForm {
  key: string;
  operator: PropertyOperator;
  value: ValueField;
  negate?: boolean;
}

export interface PersonForm extends PropertyTestForm {
  type: 'person';
}

/** The window of a behavioural filter: none (all time), the last N units, or between dates. */
export type WindowForm =
  | { mode: 'none' }
  | { mode: 'last'; last: string }
  | { mode: 'between'; from?: ScalarField; to?: ScalarField };

export interface BehavioralForm {
  type: 'behavioral';
  event: string;
  /** absent: the default (performed) */
  operator?: 'performed' | 'not_performed';
  /** null: the default (at least once) */
  count: { op: 'gte' | 'lte' | 'eq'; value: string } | null;
  window: WindowForm;
  /** absent: no event-property filters */
  where?: PropertyTestForm[];
  negate?: boolean;
}

export interface CohortRefForm {
  type: 'cohort';
  key: string;
  operator: 'in' | 'not_in';
  negate?: boolean;
}

export interface GroupForm {
  type: 'AND' | 'OR';
  negate?: boolean;
  values: NodeForm[];
}

export type NodeForm = GroupForm | PersonForm | BehavioralForm | CohortRefForm;
