/**
 * Event partition maintenance (docs/scaling.md "Events"), a refresher housekeeping job run at
 * most once per `everyMs` (default 1 h): the partitions of this month and the next
 * `aheadMonths` exist before any event needs them; rows that landed in the default partition
 * (old history, imported) move into partitions of their own month; and retention: a whole
 * monthly partition is dropped once it is past every project's `event_retention_days` (never
 * while a project keeps events forever), and a project with a shorter retention has its older
 * events deleted in batches.
 */
import type { Logger } from 'pino';
import type { EventPartitions } from '../ports/event-partitions.js';
import { atMostEvery } from './at-most-every.js';

const DAY_MS = 86_400_000;
/** events deleted per statement, and statements per project per pass */
const DELETE_BATCH = 10_000;
const MAX_BATCHES = 50;

export interface EventMaintenanceDeps {
  partitions: EventPartitions;
  logger: Logger;
  /** ms between passes (default 1 h) */
  everyMs?: number;
  /** months created ahead of the current one (default 2; events are at most 24 h ahead) */
  aheadMonths?: number;
}

export interface EventMaintenanceReport {
  created: string[];
  split: Array<{ name: string; rows: number }>;
  dropped: string[];
  deleted: number;
}

export function createEventMaintenance(deps: EventMaintenanceDeps) {
  const everyMs = deps.everyMs ?? 3_600_000;
  const ahead = deps.aheadMonths ?? 2;

  async function runNow(nowMs: number): Promise<EventMaintenanceReport> {
    const created = await deps.partitions.ensureAhead(nowMs, ahead);
    const split = await deps.partitions.splitDefault(12);
    const retentions = await deps.partitions.retentions();
    const dropped: string[] = [];
    let deleted = 0;
    if (retentions.length > 0) {
      const forever = retentions.some((r) => r.days === null);
      if (!forever) {
        const longest = Math.max(...retentions.map((r) => r.days as number));
        for (const m of await deps.partitions.months()) {
          if (m.to <= nowMs - longest * DAY_MS) {
            await deps.partitions.drop(m.name);
            dropped.push(m.name);
          }
        }
      }
      for (const r of retentions) {
        if (r.days === null) continue;
        for (let i = 0; i < MAX_BATCHES; i++) {
          const n = await deps.partitions.deleteOlder(r.projectId, nowMs - r.days * DAY_MS, DELETE_BATCH);
          deleted += n;
          if (n < DELETE_BATCH) break;
        }
      }
    }
    if (created.length || split.length || dropped.length || deleted) deps.logger.info({ created, split, dropped, deleted }, 'event partitions maintained');
    return { created, split, dropped, deleted };
  }

  return {
    runNow,
    /** Housekeeping hook for the refresher: a pass at most every `everyMs`. */
    maybeRun: atMostEvery(everyMs, runNow),
  };
}
