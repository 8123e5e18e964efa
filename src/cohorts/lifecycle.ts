/**
 * The cohort lifecycle (PRODUCT.md 6.2) as data: states, actions and the allowed
 * transitions. Pure: no I/O, no clock. Services apply it; http maps a refusal to 409.
 *
 *   building --complete (system, first successful refresh)--> active
 *   active   --pause--> paused --resume--> active
 *   building | active | paused --archive--> archived
 *   archived --restore--> building
 */
import { COHORT_STATES, type CohortState } from '../domain/cohort.js';

export { COHORT_STATES, type CohortState };

/** What an admin asks for through the API. */
export type UserAction = 'pause' | 'resume' | 'archive' | 'restore';

/** `complete` is taken by the refresher alone, when a first materialization succeeds. */
export type Action = UserAction | 'complete';

export const USER_ACTIONS: readonly UserAction[] = ['pause', 'resume', 'archive', 'restore'];

// The whole table: state -> action -> next state. Anything absent is refused.
const TABLE: Record<CohortState, Partial<Record<Action, CohortState>>> = {
  building: { complete: 'active', archive: 'archived' },
  active: { pause: 'paused', archive: 'archived' },
  paused: { resume: 'active', archive: 'archived' },
  archived: { restore: 'building' },
};

export type TransitionResult = { ok: true; to: CohortState } | { ok: false; allowed: UserAction[] };

/**
 * The state `action` leads to from `from`, or a refusal listing the admin actions allowed
 * from `from` (the system's `complete` is never offered). Archiving an archived cohort is
 * refused: it would change nothing.
 */
export function transition(from: CohortState, action: Action): TransitionResult {
  const to = TABLE[from][action];
  return to ? { ok: true, to } : { ok: false, allowed: allowedUserActions(from) };
}

/** Every action allowed from `state`, system actions included, in a stable order. */
export function allowedActions(state: CohortState): Action[] {
  return Object.keys(TABLE[state]) as Action[];
}

/** Only what an admin may ask for from `state` (what a 409 shows). */
export function allowedUserActions(state: CohortState): UserAction[] {
  return allowedActions(state).filter((a): a is UserAction => a !== 'complete');
}

/** States the refresher computes; paused and archived are frozen. */
export const REFRESHING_STATES: readonly CohortState[] = ['building', 'active'];

/** Whether decisions may read this cohort's membership (the others are "unavailable"). */
export const isReadable = (state: CohortState): boolean => state === 'active' || state === 'paused';
