/**
 * What a cohort refresh and the feeds tell the outside (docs/stream.md, docs/webhooks.md):
 * `cohort.refreshed` (with the member count delta) and `cohort.members_changed` (who entered
 * and left, in batches) into the webhook outbox, and the moved persons onto the live channel
 * so every API process's decision streams re-evaluate exactly them.
 */
import type { Logger } from 'pino';
import type { FeedListener } from '../ports/feed-listener.js';
import type { CohortDiffReader, CohortSwitched, LiveChannel, SwitchAnnouncement } from '../ports/live-channel.js';
import type { WebhookStore } from '../ports/webhook-store.js';
import { outboxEvent } from './webhooks.js';

/** Members listed per `cohort.members_changed` event. */
export const MEMBERS_PER_EVENT = 1_000;

/** A member string as webhooks show it: `{ person_id }`, or `{ distinct_id }` for an unseen static id. */
const memberOf = (m: string) => (m.startsWith('d:') ? { distinct_id: m.slice(2) } : { person_id: Number(m) });

export interface CohortSwitchDeps {
  diff: CohortDiffReader;
  outbox: Pick<WebhookStore, 'enqueue'>;
  live: LiveChannel;
  logger: Logger;
  /** most members listed per direction before the change is announced project-wide (default 100,000) */
  cap?: number;
}

/**
 * Prepares what a cohort switch announces (refresh-cohort.ts calls it after the Redis switch,
 * before the replaced version is dropped): diffs the two versions in Redis, then `record(db)`
 * enqueues `cohort.refreshed` and the `cohort.members_changed` batches in the caller's
 * transaction (the one that records the new version), and `publish()` puts the moved persons on
 * the live channel once that transaction committed. Throws when the diff cannot be read: the
 * caller then records nothing, and the next run announces the change from the recorded version.
 */
export function createCohortSwitchListener(deps: CohortSwitchDeps): (e: CohortSwitched) => Promise<SwitchAnnouncement> {
  const cap = deps.cap ?? 100_000;
  return async (e) => {
    const d = await deps.diff.diff(e.projectId, e.cohortId, e.previousVersion, e.version, cap);
    const delta = d.enteredCount - d.leftCount;
    const events = [
      outboxEvent(e.projectId, 'cohort.refreshed', {
        key: e.cohortKey, version: e.version, previous_version: e.previousVersion || null, member_count: e.memberCount, member_count_delta: delta,
        entered_count: d.enteredCount, left_count: d.leftCount, as_of: new Date(e.asOf).toISOString(),
      }),
    ];
    const batches = Math.ceil(Math.max(d.entered.length, d.left.length) / MEMBERS_PER_EVENT);
    for (let i = 0; i < batches; i++) {
      const slice = (xs: string[]) => xs.slice(i * MEMBERS_PER_EVENT, (i + 1) * MEMBERS_PER_EVENT).map(memberOf);
      events.push(
        outboxEvent(e.projectId, 'cohort.members_changed', {
          key: e.cohortKey, version: e.version, batch: i + 1, batches, truncated: d.truncated, entered: slice(d.entered), left: slice(d.left),
        }),
      );
    }
    return {
      async record(db) {
        for (const ev of events) await deps.outbox.enqueue(ev, db);
      },
      async publish() {
        if (d.enteredCount + d.leftCount === 0) return;
        if (d.truncated) await deps.live.publish({ kind: 'project', projectId: e.projectId });
        else {
          const moved = [...d.entered, ...d.left];
          await deps.live.publish({
            kind: 'persons', projectId: e.projectId,
            personIds: moved.filter((m) => !m.startsWith('d:')).map(Number), distinctIds: moved.filter((m) => m.startsWith('d:')).map((m) => m.slice(2)),
          });
        }
      },
    };
  };
}

/** Tells the streams about persons whose properties or identities the feeds changed. */
export function createLiveFeedListener(deps: { live: LiveChannel; logger: Logger }): FeedListener {
  // Not awaited: the feeds answer their caller without waiting for Redis.
  const publish = async (projectId: number, personIds: number[], distinctIds: string[] = []): Promise<void> => {
    if (personIds.length || distinctIds.length) void deps.live.publish({ kind: 'persons', projectId, personIds, distinctIds }).catch((err) => deps.logger.debug({ err }, 'live publish failed'));
  };
  return {
    personsChanged: (projectId, personIds) => publish(projectId, personIds),
    identitiesChanged: (projectId, changes) => publish(projectId, changes.map((c) => c.personId), changes.flatMap((c) => c.distinctIds)),
  };
}
