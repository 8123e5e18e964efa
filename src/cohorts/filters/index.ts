/**
 * Lifecycle and aggregate filters (docs/cohorts.md "Lifecycle filters"): each compiles to a
 * SELECT of distinct `person_id`s (a set, in compiler.ts's terms), one file per filter. The
 * compiler calls `compileLifecycleFilter` for every node type listed in
 * LIFECYCLE_FILTER_TYPES and applies `negate` itself (universe EXCEPT set).
 */
import type { LifecycleFilter } from '../../domain/cohort-definition.js';
import { compileAggregate } from './aggregate.js';
import type { FilterContext } from './context.js';
import { compileFirstTime } from './first-time.js';
import { compileRegularly } from './regularly.js';
import { compileRestarted } from './restarted.js';
import { compileSequence } from './sequence.js';
import { compileStopped } from './stopped.js';

export type { FilterContext } from './context.js';
export { windowConditions } from './window.js';

/** The member set of one lifecycle filter, without its `negate`. */
export function compileLifecycleFilter(node: LifecycleFilter, f: FilterContext): string {
  switch (node.type) {
    case 'first_time':
      return compileFirstTime(node, f);
    case 'stopped':
      return compileStopped(node, f);
    case 'restarted':
      return compileRestarted(node, f);
    case 'regularly':
      return compileRegularly(node, f);
    case 'sequence':
      return compileSequence(node, f);
    case 'aggregate':
      return compileAggregate(node, f);
  }
}
