/**
 * Compiles a cohort definition into ONE parameterized SQL statement returning the member
 * `person_id`s (docs/cohorts.md, "SQL shapes"). Pure: no I/O, no clock (`now` is passed).
 * User input (property keys and values, event names, prefixes, regexes, dates) only ever
 * travels as `$n` parameters; identifiers and operators are fixed text.
 *
 * Each node compiles to one of three parts:
 * - a predicate on `persons p` (person-property filters and groups of them: one scan);
 * - a set (a SELECT of person_id: behavioural filters, static cohorts);
 * - a negated set (the complement of a set, kept unresolved).
 * An AND group intersects its sets, filters the result by its predicates through a lookup of
 * each member's person by primary key (not a scan of every person), and subtracts its
 * negated sets: `b AND NOT a` is `b EXCEPT a`, so a nested cohort costs about the sum of its
 * parts (issue 16). Only a negated set with no positive sibling (a lone NOT, a root NOT, an
 * all-negated AND) becomes `all persons EXCEPT set`. An OR group holding a negated set is
 * compiled through De Morgan (`x OR NOT a` = NOT (a AND NOT x)). Cohort references inline
 * the referenced definition's part (a property cohort stays a predicate).
 *
 * A behavioural filter reads its events through the covering index of migration 006
 * (project, event, time → distinct_id: an index-only scan), hashes those and joins them to
 * `person_distinct_ids`, which is scanned, never hashed; a restricted (event-driven) query
 * starts from the persons' own distinct ids. bench/results/cohorts-plans-*.txt has the plans.
 */
import type { BehavioralFilter, CohortFilter, CohortDefinition, CohortNode, GroupNode } from './cohort-definition.js';
import { propertyPredicate, type ParamSink } from './compile-property.js';
import { compileLifecycleFilter, windowConditions, type FilterContext } from './filters/index.js';
import type { CohortRef } from './references.js';

/** Inputs of one compilation; `now` is unix ms, never read from a clock here. */
export interface CompileContext {
  projectId: number;
  now: number;
  /** every cohort a reference may name, by key (nested cohorts use their current definitions) */
  cohortRefs: ReadonlyMap<string, Pick<CohortRef, 'id' | 'kind' | 'definition'>>;
  /** consider only the persons in `$2` (bigint[]); bind them with `bindPersonIds` */
  restrictToPersonIds?: boolean;
  /** rows in ascending person_id (materialization streams them into Redis chunk by chunk) */
  ordered?: boolean;
  /**
   * IANA time zone of calendar windows; default: the project's `time_zone` column read by the
   * statement itself (a subquery on projects), so callers need not pass it.
   */
  timeZone?: string;
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

type Part = { kind: 'pred'; sql: string } | { kind: 'set'; sql: string } | { kind: 'neg'; sql: string };

class Params implements ParamSink {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
const paren = (sqls: string[], op: string) => (sqls.length === 1 ? sqls[0] : sqls.map((s) => `(${s})`).join(op));

class Compiler {
  readonly params = new Params();
  private readonly restrict: boolean;

  private tz: string | undefined;
  readonly filters: FilterContext;

  constructor(private readonly ctx: CompileContext) {
    this.params.add(ctx.projectId); // $1
    this.restrict = ctx.restrictToPersonIds === true;
    if (this.restrict) this.params.add([]); // $2, bound by bindPersonIds
    this.filters = {
      params: this.params,
      now: ctx.now,
      restrict: this.restrict,
      timeZone: () => (this.tz ??= ctx.timeZone ? `${this.params.add(ctx.timeZone)}::text` : '(SELECT pr.time_zone FROM projects pr WHERE pr.id = $1)'),
    };
  }

  universe(): string {
    return `SELECT p.id AS person_id FROM persons p WHERE p.project_id = $1${this.restrict ? ' AND p.id = ANY($2::bigint[])' : ''}`;
  }

  /** The part as a SELECT of person_id. */
  toSet(part: Part): string {
    if (part.kind === 'set') return part.sql;
    if (part.kind === 'pred') return `${this.universe()} AND (${part.sql})`;
    return `(${this.universe()}) EXCEPT (${part.sql})`;
  }

  complement(part: Part): Part {
    if (part.kind === 'pred') return { kind: 'pred', sql: `NOT (${part.sql})` };
    if (part.kind === 'set') return { kind: 'neg', sql: part.sql };
    return { kind: 'set', sql: part.sql };
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
      default: {
        // first_time, stopped, restarted, regularly, sequence, aggregate: src/cohorts/filters/
        const set: Part = { kind: 'set', sql: compileLifecycleFilter(node, this.filters) };
        return node.negate ? this.complement(set) : set;
      }
    }
  }

  group(node: GroupNode, stack: string[]): Part {
    const parts = node.values.map((v) => this.node(v, stack));
    const part = node.type === 'AND' ? this.and(parts) : this.or(parts);
    return node.negate ? this.complement(part) : part;
  }

  /** AND of parts: (sets INTERSECT, filtered by the predicates) EXCEPT the negated sets. */
  and(parts: Part[]): Part {
    const preds = parts.filter((p) => p.kind === 'pred').map((p) => p.sql);
    const sets = parts.filter((p) => p.kind === 'set').map((p) => p.sql);
    const negs = parts.filter((p) => p.kind === 'neg').map((p) => p.sql);
    const pred = preds.length === 1 ? preds[0] : `(${preds.join(' AND ')})`;
    if (sets.length === 0 && negs.length === 0) return { kind: 'pred', sql: pred };
    if (sets.length === 0 && preds.length === 0) return { kind: 'neg', sql: paren(negs, ' UNION ') };
    let positive: string;
    if (sets.length === 0) positive = this.toSet({ kind: 'pred', sql: pred });
    else {
      positive = paren(sets, ' INTERSECT ');
      // Filter the (usually small) set by the predicates: one lookup of each member's person by
      // primary key, as a correlated subquery so the planner cannot turn it into a hash join
      // over a scan of every person (it would, misled by the set's row estimate: a HAVING
      // estimated at 112,000 rows that yields 12,000; issue 16). NULL (no such person, or a
      // predicate on a missing property) filters the member out, as the join did.
      if (preds.length) positive = `SELECT s.person_id FROM (${positive}) AS s WHERE (SELECT ${pred} FROM persons p WHERE p.id = s.person_id AND p.project_id = $1)`;
    }
    if (negs.length === 0) return { kind: 'set', sql: positive };
    return { kind: 'set', sql: `(${positive}) EXCEPT ${negs.map((n) => `(${n})`).join(' EXCEPT ')}` };
  }

  /** OR of parts: UNION of sets (predicates in one scan); with a negated set, NOT (AND of the complements). */
  or(parts: Part[]): Part {
    if (parts.some((p) => p.kind === 'neg')) return this.complement(this.and(parts.map((p) => this.complement(p))));
    const preds = parts.filter((p) => p.kind === 'pred').map((p) => p.sql);
    const sets = parts.filter((p) => p.kind === 'set').map((p) => p.sql);
    if (sets.length === 0) return { kind: 'pred', sql: preds.length === 1 ? preds[0] : `(${preds.join(' OR ')})` };
    const operands = preds.length ? [this.toSet({ kind: 'pred', sql: preds.join(' OR ') }), ...sets] : sets;
    return { kind: 'set', sql: paren(operands, ' UNION ') };
  }

  behavioral(node: BehavioralFilter): Part {
    const conds = ['e.project_id = $1'];
    if (node.event !== '*') {
      if (node.event.endsWith('*')) conds.push(`e.event LIKE ${this.params.add(`${escapeLike(node.event.slice(0, -1))}%`)}::text`);
      else conds.push(`e.event = ${this.params.add(node.event)}::text`);
    }
    conds.push(...windowConditions(node.window, 'e.time', this.filters));
    for (const t of node.where ?? []) conds.push(propertyPredicate(t, 'e.properties', this.params, this.ctx.now));
    // Restricted (event-driven) queries read only the events of the persons' distinct ids (events_person_idx).
    if (this.restrict) conds.push('e.distinct_id IN (SELECT r.distinct_id FROM person_distinct_ids r WHERE r.project_id = $1 AND r.person_id = ANY($2::bigint[]))');

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
    // The filtered events are the hashed side; person_distinct_ids is scanned, not hashed.
    const sql =
      'SELECT pdi.person_id FROM events e JOIN person_distinct_ids pdi ON pdi.project_id = e.project_id AND pdi.distinct_id = e.distinct_id' +
      ` WHERE ${conds.join(' AND ')} GROUP BY pdi.person_id${having}`;
    const set: Part = { kind: 'set', sql };
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
      // Inlined as its own part: a property cohort stays a predicate, a NOT stays unresolved.
      part = this.node(ref.definition, [...stack, node.key]);
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
  let text = root.kind === 'set' ? `SELECT person_id FROM (${root.sql}) AS members` : c.toSet(root);
  if (ctx.ordered) text = `SELECT person_id FROM (${text}) AS ordered ORDER BY person_id`;
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
