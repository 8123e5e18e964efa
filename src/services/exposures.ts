import type { Logger } from 'pino';
import type { ExposureMarks } from '../ports/exposure-marks.js';
import type { Decision } from '../core/index.js';

/** The event an exposure is recorded as (PostHog's name, so existing analyses read it). */
export const EXPOSURE_EVENT = '$feature_flag_called';

interface Pending {
  projectId: number;
  distinctId: string;
  /** who the dedup is per: the bucketing key (stable from an id's first decision on) */
  personKey: string;
  flag: string;
  variant: string;
  value: unknown;
  reason: string;
  version: number;
  time: number;
}

export interface ExposureDeps {
  marks: ExposureMarks;
  ingest(projectId: number, events: unknown[]): Promise<unknown>;
  logger: Logger;
  /** fraction of handshakes recorded, 0..1 */
  sampleRate: number;
  /** ms between flushes */
  flushMs?: number;
  /** exposures waiting at most; more are dropped (and counted) rather than grow memory */
  maxQueue?: number;
  random?: () => number;
  now?: () => number;
}

/** UTC day of a unix-ms time, `YYYY-MM-DD`: exposures are deduplicated per day. */
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Records `$feature_flag_called` exposure events off the hot path: a handshake only pushes
 * onto an in-memory queue (sampled by `sampleRate`); a timer flushes it, keeps the first
 * exposure per (person, flag, variant, UTC day) with `SET NX` in Redis, and stores those
 * through the ingest path with a deterministic `$insert_id`, so PostgreSQL deduplicates too.
 */
export function createExposureRecorder(deps: ExposureDeps) {
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const maxQueue = deps.maxQueue ?? 10_000;
  let queue: Pending[] = [];
  let dropped = 0;
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> = Promise.resolve();

  async function flushNow(): Promise<void> {
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    const first = await deps.marks.markFirst(batch.map((e) => ({ projectId: e.projectId, day: dayOf(e.time), personKey: e.personKey, flag: e.flag, variant: e.variant })));
    const byProject = new Map<number, unknown[]>();
    batch.forEach((e, i) => {
      if (!first[i]) return;
      const list = byProject.get(e.projectId) ?? [];
      list.push({
        event: EXPOSURE_EVENT,
        distinct_id: e.distinctId,
        time: e.time,
        $insert_id: `exposure:${dayOf(e.time)}:${e.personKey}:${e.flag}:${e.variant}`,
        properties: { $feature_flag: e.flag, $feature_flag_variant: e.variant, $feature_flag_response: e.value, $feature_flag_reason: e.reason, $feature_flag_version: e.version },
      });
      byProject.set(e.projectId, list);
    });
    for (const [projectId, events] of byProject) {
      for (let i = 0; i < events.length; i += 1_000) await deps.ingest(projectId, events.slice(i, i + 1_000));
    }
  }

  const flush = (): Promise<void> => {
    flushing = flushing.then(flushNow).catch((err) => deps.logger.warn({ err: (err as Error).message }, 'exposure flush failed'));
    return flushing;
  };

  return {
    /** Queues the exposures of one handshake (sampled). Never throws, never waits. */
    record(projectId: number, distinctId: string, personKey: string, flags: Record<string, Decision>): void {
      if (deps.sampleRate <= 0 || random() >= deps.sampleRate) return;
      const time = now();
      for (const d of Object.values(flags)) {
        if (d.variant === null || d.reason === 'ERROR' || d.reason === 'STALE') continue;
        if (queue.length >= maxQueue) {
          dropped++;
          continue;
        }
        queue.push({ projectId, distinctId, personKey, flag: d.key, variant: d.variant, value: d.value, reason: d.reason, version: d.version, time });
      }
    },
    flush,
    /** exposures dropped because the queue was full */
    dropped: () => dropped,
    start(): void {
      const tick = () => {
        timer = setTimeout(() => void flush().finally(() => timer && tick()), deps.flushMs ?? 1_000);
        timer.unref();
      };
      if (deps.sampleRate > 0) tick();
    },
    async stop(): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = null;
      await flush();
    },
  };
}

export type ExposureRecorder = ReturnType<typeof createExposureRecorder>;
