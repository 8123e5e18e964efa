/**
 * Builder form -> definition JSON: the inverse of to-form.ts (JSON -> form -> JSON is the
 * identity for every valid definition; test/unit/console/builder-round-trip.test.ts). Pure.
 * Numbers typed into a number field that do not parse are kept as text, so the server's
 * 400 names the field instead of the builder dropping it.
 */
import type { DefinitionNode, PropertyTest, Scalar } from './definition-types.js';
import type { NodeForm, PropertyTestForm, ScalarField, ValueField } from './form-model.js';

export function fieldToScalar(f: ScalarField): Scalar {
  if (f.type === 'number') {
    const n = Number(f.text);
    return f.text.trim() !== '' && Number.isFinite(n) ? n : f.text;
  }
  if (f.type === 'boolean') return f.text === 'true';
  return f.text;
}

function fieldToValue(v: ValueField): PropertyTest['value'] {
  if (v.kind === 'none') return undefined;
  if (v.kind === 'list') return v.items.map(fieldToScalar);
  return fieldToScalar(v.scalar);
}

function propertyTest(t: PropertyTestForm): PropertyTest {
  const out: PropertyTest = { key: t.key, operator: t.operator };
  const value = fieldToValue(t.value);
  if (value !== undefined) out.value = value;
  if (t.negate !== undefined) out.negate = t.negate;
  return out;
}

const countValue = (text: string): number => {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : (text as unknown as number);
};

export function formToDefinition(form: NodeForm): DefinitionNode {
  switch (form.type) {
    case 'AND':
    case 'OR': {
      const out: DefinitionNode = { type: form.type, values: form.values.map(formToDefinition) };
      if (form.negate !== undefined) out.negate = form.negate;
      return out;
    }
    case 'person':
      return { type: 'person', ...propertyTest(form) };
    case 'cohort': {
      const out: DefinitionNode = { type: 'cohort', key: form.key, operator: form.operator };
      if (form.negate !== undefined) out.negate = form.negate;
      return out;
    }
    case 'behavioral': {
      const out: DefinitionNode = { type: 'behavioral', event: form.event };
      if (form.operator !== undefined) out.operator = form.operator;
      if (form.count) out.count = { op: form.count.op, value: countValue(form.count.value) };
      const w = form.window;
      if (w.mode === 'last') out.window = { last: w.last };
      if (w.mode === 'between') {
        out.window = {};
        if (w.from) out.window.from = fieldToScalar(w.from) as string | number;
        if (w.to) out.window.to = fieldToScalar(w.to) as string | number;
      }
      if (form.where !== undefined) out.where = form.where.map(propertyTest);
      if (form.negate !== undefined) out.negate = form.negate;
      return out;
    }
  }
}
