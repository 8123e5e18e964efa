/**
 * Fuzz of the public endpoints (PRODUCT.md 4, 8, 12; issue 14): the handshake on its
 * node:http fast path and through express (gzip, other content types), events, engage,
 * alias, OFREP, health and metrics. FUZZ_SEED, FUZZ_RUNS and FUZZ_ONLY replay a run.
 */
import { describe } from 'vitest';
import { fuzzSuite } from './fuzz-suite.js';
import { PUBLIC_ROUTES } from './routes.js';

describe('fuzz: public endpoints', () => {
  fuzzSuite({ name: 'public', routes: PUBLIC_ROUTES, seed: 14_001, runs: 5_000 });
});
