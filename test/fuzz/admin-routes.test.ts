/**
 * Fuzz of the admin API and the console's endpoints (PRODUCT.md 9, 14; issue 14): projects,
 * keys, cohorts and their members and lifecycle, flags, configs, surveys, previews, audit,
 * persons, /v1/me and the console's static files. FUZZ_SEED, FUZZ_RUNS and FUZZ_ONLY replay a run.
 */
import { describe } from 'vitest';
import { ensureConsoleBuilt } from '../../console/build.js';
import { fuzzSuite } from './fuzz-suite.js';
import { ADMIN_ROUTES } from './routes.js';

describe('fuzz: admin API and console', () => {
  fuzzSuite({ name: 'admin', routes: ADMIN_ROUTES, seed: 14_002, runs: 5_500, before: () => ensureConsoleBuilt('missing') });
});
