/**
 * The event side every lifecycle filter shares: which events match (name, prefix wildcard,
 * event-property tests) and the join from events to persons through person_distinct_ids
 * (events keep their distinct_id; an alias moves the id, not the events: PRODUCT.md 5).
 */
import type { EventMatch } from '../../domain/cohort-definition.js';
import { propertyPredicate } from '../compile-property.js';
import type { FilterContext } from './context.js';

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Conditions (to AND) selecting events of `m` in table alias `e`, including `e.project_id = $1`. */
export function eventConditions(m: EventMatch, e: string, f: FilterContext): string[] {
  const conds = [`${e}.project_id = $1`];
  if (m.event !== '*') {
    if (m.event.endsWith('*')) conds.push(`${e}.event LIKE ${f.params.add(`${escapeLike(m.event.slice(0, -1))}%`)}::text`);
    else conds.push(`${e}.event = ${f.params.add(m.event)}::text`);
  }
  for (const t of m.where ?? []) conds.push(propertyPredicate(t, `${e}.properties`, f.params, f.now));
  return conds;
}

/** `events e JOIN person_distinct_ids pdi …` with the given aliases. */
export const eventsJoin = (e: string, pdi: string): string =>
  `events ${e} JOIN person_distinct_ids ${pdi} ON ${pdi}.project_id = ${e}.project_id AND ${pdi}.distinct_id = ${e}.distinct_id`;

/** The `restrictToPersonIds` condition on a person_distinct_ids alias, or nothing. */
export const restrictConditions = (pdi: string, f: FilterContext): string[] => (f.restrict ? [`${pdi}.person_id = ANY($2::bigint[])`] : []);
