/**
 * The cohort compiler as it was before issue 16 (NOT as "all persons EXCEPT a", behavioural
 * sets joined to person_distinct_ids before grouping). Kept only as the reference the
 * property test (test/integration/cohort-compiler-equivalence.test.ts) compares the current
 * compiler with: both must select the same persons on every definition.
 */
import type { BehavioralFilter, CohortFilter, CohortDefinition, CohortNode, GroupNode } from '../../../src/cohorts/cohort-definition.js';
import { durationMs, resolveDate } from '../../../src/cohorts/dates.js';
import { propertyPredicate, type ParamSink } from '../../../src/cohorts/compile-property.js';
import type { CohortRef } from '../../../src/cohorts/references.js';

/** Inputs of one compilation; `now` is unix ms, never read from a clock here. */
export interface CompileContext {
  projectId: number;
  now: number;
  /** every cohort a reference may name, by key (nested cohorts use their current definitions) */
  cohortRefs: ReadonlyMap<string, Pick<CohortRef, 'id' | 'kind' | 'definition'>>;
  /** consider only the persons in `$2` (bigint[]); bind them with `bindPersonIds` */
  restrictToPersonIds?: boolean;
}

/** One statement for pg: `pool.query(text, values)`. */
export interface CompiledQuery {
  text: string;
  values: unknown[];
}

/** Why a definition cannot compile; codes are cohort error codes (PRODUCT.md 6.3). */
export class CohortCompileError extends Error {
  constructor(readonly code: 'validation_error' | 'query_size', message: string) {
    super(message);
  }
}

/** Most bound parameters in one statement (PostgreSQL's protocol allows 65,535). */
const MAX_PARAMS = 20_000;
/** Longest statement text we send. */
const MAX_TEXT = 1_000_000;
/** Deepest chain of cohort references followed while compiling. */
const MAX_REF_DEPTH = 16;

type Part = { kind: 'pred'; sql: string } | { kind: 'set'; sql: string };

class Params implements ParamSink {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
const iso = (ms: number) => new Date(ms).toISOString();

class Compiler {
  readonly params = new Params();
  private readonly restrict: boolean;

  constructor(private readonly ctx: CompileContext) {
    this.params.add(ctx.projectId); // $1
    this.restrict = ctx.restrictToPersonIds === true;
    if (this.restrict) this.params.add([]); // $2, bound by bindPersonIds
  }

  universe(): string {
    return `SELECT p.id AS person_id FROM persons p WHERE p.project_id = $1${this.restrict ? ' AND p.id = ANY($2::bigint[])' : ''}`;
  }

  toSet(part: Part): string {
    return part.kind === 'set' ? part.sql : `${this.universe()} AND (${part.sql})`;
  }

  complement(part: Part): Part {
    if (part.kind === 'pred') return { kind: 'pred', sql: `NOT (${part.sql})` };
    return { kind: 'set', sql: `(${this.universe()}) EXCEPT (${part.sql})` };
  }

  node(node: CohortNode, stack: string[]): Part {
    switch (node.type) {
      case 'AND':
      case 'OR':
        return this.group(node, stack);
      case 'person': {
        return { kind: 'pred', sql: propertyPredicate(node, 'p.properties', this.params, this.ctx.now) };
      }
      case 'behavioral':
        return this.behavioral(node);
      case 'cohort':
        return this.cohort(node, stack);
      default:
        // The lifecycle filters (src/cohorts/filters/) came after this compiler.
        throw new Error(`the legacy compiler does not know ${(node as { type: string }).type} filters`);
    }
  }

  group(node: GroupNode, stack: string[]): Part {
    const parts = node.values.map((v) => this.node(v, stack));
    const preds = parts.filter((p) => p.kind === 'pred').map((p) => p.sql);
    const sets = parts.filter((p) => p.kind === 'set').map((p) => p.sql);
    const joiner = node.type === 'AND' ? ' AND ' : ' OR ';
    let part: Part;
    if (sets.length === 0) {
      part = { kind: 'pred', sql: preds.length === 1 ? preds[0] : `(${preds.join(joiner)})` };
    } else {
      const operands = preds.length ? [this.toSet({ kind: 'pred', sql: preds.join(joiner) }), ...sets] : sets;
      const op = node.type === 'AND' ? ' INTERSECT ' : ' UNION ';
      part = { kind: 'set', sql: operands.length === 1 ? operands[0] : operands.map((s) => `(${s})`).join(op) };
    }
    return node.negate ? this.complement(part) : part;
  }

  behavioral(node: BehavioralFilter): Part {
    const conds = ['e.project_id = $1'];
    if (node.event !== '*') {
      if (node.event.endsWith('*')) conds.push(`e.event LIKE ${this.params.add(`${escapeLike(node.event.slice(0, -1))}%`)}::text`);
      else conds.push(`e.event = ${this.params.add(node.event)}::text`);
    }
    const w = node.window;
    if (w?.last !== undefined) {
      conds.push(`e.time >= ${this.params.add(iso(this.ctx.now - durationMs(w.last)))}::timestamptz`);
      conds.push(`e.time <= ${this.params.add(iso(this.ctx.now))}::timestamptz`);
    } else if (w) {
      if (w.from !== undefined) conds.push(`e.time >= ${this.params.add(iso(resolveDate(w.from, this.ctx.now)))}::timestamptz`);
      if (w.to !== undefined) conds.push(`e.time <= ${this.params.add(iso(resolveDate(w.to, this.ctx.now)))}::timestamptz`);
    }
    for (const t of node.where ?? []) conds.push(propertyPredicate(t, 'e.properties', this.params, this.ctx.now));
    if (this.restrict) conds.push('pdi.person_id = ANY($2::bigint[])');

    const count = node.count ?? { op: 'gte' as const, value: 1 };
    // "at most N" and "exactly 0" are complements of "at least N+1" / "at least 1".
    let complemented = false;
    let having = '';
    if (count.op === 'gte' && count.value > 1) having = ` HAVING count(*) >= ${this.params.add(count.value)}::bigint`;
    else if (count.op === 'eq' && count.value > 0) having = ` HAVING count(*) = ${this.params.add(count.value)}::bigint`;
    else if (count.op === 'eq') complemented = true;
    else if (count.op === 'lte') {
      complemented = true;
      having = ` HAVING count(*) >= ${this.params.add(count.value + 1)}::bigint`;
    }
    const set: Part = {
      kind: 'set',
      sql:
        'SELECT pdi.person_id FROM events e JOIN person_distinct_ids pdi ON pdi.project_id = e.project_id AND pdi.distinct_id = e.distinct_id' +
        ` WHERE ${conds.join(' AND ')} GROUP BY pdi.person_id${having}`,
    };
    if (node.operator === 'not_performed') complemented = !complemented;
    if (node.negate) complemented = !complemented;
    return complemented ? this.complement(set) : set;
  }

  cohort(node: CohortFilter, stack: string[]): Part {
    const ref = this.ctx.cohortRefs.get(node.key);
    if (!ref) throw new CohortCompileError('validation_error', `referenced cohort ${node.key} does not exist`);
    let part: Part;
    if (ref.kind === 'static') {
      part = {
        kind: 'set',
        sql:
          'SELECT DISTINCT pdi.person_id FROM static_cohort_members m JOIN person_distinct_ids pdi ON pdi.project_id = m.project_id AND pdi.distinct_id = m.distinct_id' +
          ` WHERE m.project_id = $1 AND m.cohort_id = ${this.params.add(ref.id)}::bigint${this.restrict ? ' AND pdi.person_id = ANY($2::bigint[])' : ''}`,
      };
    } else {
      if (stack.includes(node.key)) throw new CohortCompileError('validation_error', `cohort references form a cycle: ${[...stack, node.key].join(' -> ')}`);
      if (stack.length >= MAX_REF_DEPTH) throw new CohortCompileError('query_size', `cohort references nest deeper than ${MAX_REF_DEPTH}`);
      if (!ref.definition) throw new CohortCompileError('validation_error', `referenced cohort ${node.key} has no definition`);
      part = { kind: 'set', sql: this.toSet(this.node(ref.definition, [...stack, node.key])) };
    }
    let complemented = node.operator === 'not_in';
    if (node.negate) complemented = !complemented;
    return complemented ? this.complement(part) : part;
  }
}

/**
 * Compiles `definition` to one statement whose rows are `{ person_id }`, each id once
 * (every set form is distinct by construction: GROUP BY, DISTINCT or a set operation).
 * `selfKey` (optional) is the compiled cohort's key, so a reference back to it is caught.
 * Throws CohortCompileError (validation_error for missing references or cycles,
 * query_size for oversized statements).
 */
export function compileCohort(definition: CohortDefinition, ctx: CompileContext, selfKey?: string): CompiledQuery {
  const c = new Compiler(ctx);
  const root = c.node(definition, selfKey ? [selfKey] : []);
  const text = root.kind === 'set' ? `SELECT person_id FROM (${root.sql}) AS members` : c.toSet(root);
  if (c.params.values.length > MAX_PARAMS || text.length > MAX_TEXT) {
    throw new CohortCompileError('query_size', `the compiled query is too large (${c.params.values.length} parameters, ${text.length} characters)`);
  }
  return { text, values: c.params.values };
}

/** Binds the person ids of a `restrictToPersonIds` compilation (they are `$2`). */
export function bindPersonIds(query: CompiledQuery, personIds: number[]): CompiledQuery {
  const values = [...query.values];
  values[1] = personIds;
  return { text: query.text, values };
}
