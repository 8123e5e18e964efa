import type { Clock } from '../../src/ports/clock.js';

/** A clock (unix ms) that moves only when the test moves it. */
export function createFakeClock(startMs = 1_700_000_000_000) {
  let now = startMs;
  const clock = (() => now) as Clock & { set(ms: number): void; advance(ms: number): number };
  clock.set = (ms) => void (now = ms);
  clock.advance = (ms) => (now += ms);
  return clock;
}

export type FakeClock = ReturnType<typeof createFakeClock>;
