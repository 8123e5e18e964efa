/**
 * `sequence`: persons who performed step A and then step B, strictly later and at most
 * `within` after it (both events of the same person, through any of their distinct ids). The
 * A event must lie in `window` when one is given; B may fall after the window's end. SQL:
 *
 *   SELECT DISTINCT pa.person_id FROM events a JOIN person_distinct_ids pa ON …
 *    WHERE a.project_id = $1 AND a.event = $A [AND A's where-tests] [AND a.time in window]
 *      AND EXISTS (SELECT 1 FROM person_distinct_ids pb JOIN events b ON …
 *                   WHERE pb.project_id = $1 AND pb.person_id = pa.person_id
 *                     AND b.event = $B [AND B's where-tests]
 *                     AND b.time > a.time AND b.time <= a.time + $within)
 *
 * The EXISTS probes events_person_idx (project_id, distinct_id, event, time) per A event.
 * (PostHog: "performed event sequence", `performed_event_sequence`.)
 */
import type { SequenceFilter } from '../../domain/cohort-definition.js';
import { durationMs } from '../dates.js';
import type { FilterContext } from './context.js';
import { eventConditions, restrictConditions } from './events.js';
import { windowConditions } from './window.js';

export function compileSequence(node: SequenceFilter, f: FilterContext): string {
  const [stepA, stepB] = node.steps;
  const a = [...eventConditions(stepA, 'a', f), ...windowConditions(node.window, 'a.time', f), ...restrictConditions('pa', f)];
  const within = `make_interval(secs => ${f.params.add(durationMs(node.within) / 1000)}::double precision)`;
  const b = ['pb.project_id = $1', 'pb.person_id = pa.person_id', ...eventConditions(stepB, 'b', f), 'b.time > a.time', `b.time <= a.time + ${within}`];
  return (
    'SELECT DISTINCT pa.person_id FROM events a JOIN person_distinct_ids pa ON pa.project_id = a.project_id AND pa.distinct_id = a.distinct_id' +
    ` WHERE ${a.join(' AND ')} AND EXISTS (SELECT 1 FROM person_distinct_ids pb JOIN events b ON b.project_id = pb.project_id AND b.distinct_id = pb.distinct_id WHERE ${b.join(' AND ')})`
  );
}
