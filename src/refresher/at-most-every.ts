/**
 * A housekeeping hook for the refresher: `run(nowMs)` at most once per `everyMs` (ms; the
 * first call runs). `nowMs` is unix ms, passed on.
 */
export function atMostEvery(everyMs: number, run: (nowMs: number) => Promise<unknown>): (nowMs: number) => Promise<void> {
  let lastRun = Number.NEGATIVE_INFINITY;
  return async (nowMs) => {
    if (nowMs - lastRun < everyMs) return;
    lastRun = nowMs;
    await run(nowMs);
  };
}
