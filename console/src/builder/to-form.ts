/**
 * Definition JSON -> builder form (form-model.ts). Pure. Throws FormMappingError for a
 * document the builder cannot show (the console then offers the JSON editor only).
 */
import type { BehavioralFilter, DefinitionNode, PropertyTest, Scalar } from './definition-types.js';
import { PROPERTY_OPERATORS } from './definition-types.js';
import type { BehavioralForm, NodeForm, PropertyTestForm, ScalarField, ValueField, WindowForm } from './form-model.js';

export class FormMappingError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path || 'definition'}: ${message}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function scalarToField(v: unknown, path: string): ScalarField {
  if (typeof v === 'string') return { type: 'string', text: v };
  if (typeof v === 'number' && Number.isFinite(v)) return { type: 'number', text: String(v) };
  if (typeof v === 'boolean') return { type: 'boolean', text: String(v) };
  throw new FormMappingError(path, 'expected a string, number or boolean');
}

function valueToField(v: PropertyTest['value'], path: string): ValueField {
  if (v === undefined) return { kind: 'none' };
  if (Array.isArray(v)) return { kind: 'list', items: v.map((x: Scalar, i: number) => scalarToField(x, `${path}[${i}]`)) };
  return { kind: 'scalar', scalar: scalarToField(v, path) };
}

function propertyTestToForm(t: unknown, path: string): PropertyTestForm {
  if (!isObject(t) || typeof t.key !== 'string' || !PROPERTY_OPERATORS.includes(t.operator as never)) {
    throw new FormMappingError(path, 'expected { key, operator, value? } with a known operator');
  }
  const test = t as unknown as PropertyTest;
  const out: PropertyTestForm = { key: test.key, operator: test.operator, value: valueToField(test.value, `${path}.value`) };
  if (test.negate !== undefined) out.negate = test.negate;
  return out;
}

function windowToForm(w: BehavioralFilter['window'], path: string): WindowForm {
  if (w === undefined) return { mode: 'none' };
  // Calendar windows (this_month, last_week, …) have no builder field yet: JSON keeps them intact.
  if (w.calendar !== undefined) throw new FormMappingError(`${path}.calendar`, 'calendar windows are edited as JSON');
  if (w.last !== undefined) {
    if (w.from !== undefined || w.to !== undefined) throw new FormMappingError(path, 'use either last or from/to');
    return { mode: 'last', last: w.last };
  }
  const out: WindowForm = { mode: 'between' };
  if (w.from !== undefined) out.from = scalarToField(w.from, `${path}.from`);
  if (w.to !== undefined) out.to = scalarToField(w.to, `${path}.to`);
  return out;
}

function behavioralToForm(n: BehavioralFilter, path: string): BehavioralForm {
  const out: BehavioralForm = {
    type: 'behavioral',
    event: n.event,
    count: n.count ? { op: n.count.op, value: String(n.count.value) } : null,
    window: windowToForm(n.window, `${path}.window`),
  };
  if (n.operator !== undefined) out.operator = n.operator;
  if (n.where !== undefined) out.where = n.where.map((w, i) => propertyTestToForm(w, `${path}.where[${i}]`));
  if (n.negate !== undefined) out.negate = n.negate;
  return out;
}

/** Maps one node (and its children); `path` is used in error messages. */
export function definitionToForm(node: unknown, path = 'definition'): NodeForm {
  if (!isObject(node)) throw new FormMappingError(path, 'expected a node object');
  const n = node as unknown as DefinitionNode;
  switch (n.type) {
    case 'AND':
    case 'OR': {
      if (!Array.isArray(n.values)) throw new FormMappingError(path, 'a group needs values');
      const out: NodeForm = { type: n.type, values: n.values.map((c, i) => definitionToForm(c, `${path}.values[${i}]`)) };
      if (n.negate !== undefined) out.negate = n.negate;
      return out;
    }
    case 'person':
      return { type: 'person', ...propertyTestToForm(n, path) };
    case 'behavioral':
      if (typeof n.event !== 'string') throw new FormMappingError(`${path}.event`, 'expected an event name');
      return behavioralToForm(n, path);
    case 'cohort': {
      const out: NodeForm = { type: 'cohort', key: n.key, operator: n.operator };
      if (n.negate !== undefined) out.negate = n.negate;
      return out;
    }
    default:
      throw new FormMappingError(`${path}.type`, `unknown node type ${JSON.stringify((n as { type?: unknown }).type)}`);
  }
}
