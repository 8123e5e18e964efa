/**
 * What each property operator needs as a value, its label, and how a value is reshaped
 * when the operator changes (pure helpers for the builder's inputs).
 */
import type { PropertyOperator } from './definition-types.js';
import type { ScalarField, ValueField } from './form-model.js';

export type ValueShape = 'none' | 'scalar' | 'list' | 'number' | 'text' | 'date';

export const OPERATOR_INFO: Record<PropertyOperator, { label: string; shape: ValueShape }> = {
  eq: { label: 'equals', shape: 'scalar' },
  neq: { label: 'does not equal', shape: 'scalar' },
  in: { label: 'is one of', shape: 'list' },
  not_in: { label: 'is none of', shape: 'list' },
  contains: { label: 'contains', shape: 'text' },
  icontains: { label: 'contains (any case)', shape: 'text' },
  regex: { label: 'matches regex', shape: 'text' },
  not_regex: { label: 'does not match regex', shape: 'text' },
  gt: { label: '>', shape: 'number' },
  gte: { label: '≥', shape: 'number' },
  lt: { label: '<', shape: 'number' },
  lte: { label: '≤', shape: 'number' },
  is_set: { label: 'is set', shape: 'none' },
  is_not_set: { label: 'is not set', shape: 'none' },
  before: { label: 'is before', shape: 'date' },
  after: { label: 'is after', shape: 'date' },
};

const firstScalar = (v: ValueField): ScalarField | undefined => (v.kind === 'scalar' ? v.scalar : v.kind === 'list' ? v.items[0] : undefined);

/** The value for `op`, keeping what the user typed where it still fits. */
export function adaptValue(v: ValueField, op: PropertyOperator): ValueField {
  const shape = OPERATOR_INFO[op].shape;
  const first = firstScalar(v);
  switch (shape) {
    case 'none':
      return { kind: 'none' };
    case 'list':
      return v.kind === 'list' ? v : { kind: 'list', items: [first ?? { type: 'string', text: '' }] };
    case 'number':
      return { kind: 'scalar', scalar: { type: 'number', text: first?.text ?? '' } };
    case 'text':
      return { kind: 'scalar', scalar: { type: 'string', text: first?.text ?? '' } };
    case 'date':
      return { kind: 'scalar', scalar: first && first.type !== 'boolean' ? first : { type: 'string', text: '-30d' } };
    default:
      return { kind: 'scalar', scalar: first ?? { type: 'string', text: '' } };
  }
}

/** A new node of each kind, as the "add condition" menu creates it. */
export const NEW_NODES = {
  person: () => ({ type: 'person' as const, key: '', operator: 'eq' as const, value: { kind: 'scalar' as const, scalar: { type: 'string' as const, text: '' } } }),
  behavioral: () => ({ type: 'behavioral' as const, event: '', count: null, window: { mode: 'last' as const, last: '30d' } }),
  cohort: () => ({ type: 'cohort' as const, key: '', operator: 'in' as const }),
  group: () => ({ type: 'AND' as const, values: [] }),
};
