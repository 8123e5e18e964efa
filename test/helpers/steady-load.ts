/**
 * Steady background load for fault tests: lanes of requests sent one after another (each
 * lane waits `pauseMs` between requests), recording every answer with its time, so a test
 * can cut the samples into phases (before, during and after a fault) afterwards.
 */

export interface Sample {
  lane: string;
  /** Date.now() when the request was sent */
  at: number;
  /** ms until the answer (or the failure) */
  ms: number;
  /** HTTP status, or 0 when the connection failed */
  status: number;
  /** what the lane chose to remember (a decision's reason, a batch id, ...) */
  note?: string;
}

export interface Lane {
  name: string;
  /** parallel loops of this lane */
  concurrency?: number;
  /** ms between two requests of one loop (default 10) */
  pauseMs?: number;
  /** one request; returns the status (0: no answer) and an optional note */
  send: (loop: number, n: number) => Promise<{ status: number; note?: string }>;
}

export function startLoad(lanes: Lane[]) {
  const samples: Sample[] = [];
  let running = true;
  const loops = lanes.flatMap((lane) =>
    Array.from({ length: lane.concurrency ?? 1 }, async (_, loop) => {
      for (let n = 0; running; n++) {
        const at = Date.now();
        const started = performance.now();
        let r: { status: number; note?: string };
        try {
          r = await lane.send(loop, n);
        } catch (err) {
          r = { status: 0, note: (err as Error).message };
        }
        samples.push({ lane: lane.name, at, ms: Math.round((performance.now() - started) * 10) / 10, status: r.status, note: r.note });
        await new Promise((resolve) => setTimeout(resolve, lane.pauseMs ?? 10));
      }
    }),
  );
  return {
    samples,
    /** samples of `lane` sent in [from, to) */
    between: (lane: string, from: number, to: number) => samples.filter((s) => s.lane === lane && s.at >= from && s.at < to),
    async stop(): Promise<void> {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Share of samples with status 200, in % (1 decimal); NaN for none. */
export const okPercent = (samples: readonly Sample[]) =>
  samples.length ? Math.round((samples.filter((s) => s.status === 200).length / samples.length) * 1000) / 10 : Number.NaN;

/** How many samples had each status. */
export const statusCounts = (samples: readonly Sample[]) => {
  const out: Record<string, number> = {};
  for (const s of samples) out[s.status] = (out[s.status] ?? 0) + 1;
  return out;
};
