/**
 * The handshake, identity and cohort suites again, in memory mode (REDIS_URL=memory:, the
 * in-process adapters) over the PostgreSQL server: the same files, the same assertions
 * (docs/embedded.md names them). Each test file runs in its own process, so the mode set here
 * reaches only the suites this file imports.
 */
process.env.TEST_REDIS_URL = 'memory:';

await import('../http/decide.test.js');
await import('../http/alias.test.js');
await import('../http/cohorts.test.js');
