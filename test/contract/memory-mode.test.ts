/**
 * The handshake, identity and cohort suites again, in memory mode (REDIS_URL=memory:, the
 * in-process adapters) over the PostgreSQL server: the same files, the same assertions
 * (docs/embedded.md names them). Each test file runs in its own process, so the mode set here
 * reaches only the suites this file imports.
 */
import { describe, expect, it } from 'vitest';
import { createTestContext } from '../helpers/context.js';

// Read when each suite creates its context (test/helpers/databases.ts), so set before they run.
process.env.TEST_REDIS_URL = 'memory:';

await import('../http/decide.test.js');
await import('../http/alias.test.js');
await import('../http/cohorts.test.js');

describe('readiness and metrics in memory mode', () => {
  it('name the mode; Redis is this process', async () => {
    const t = await createTestContext();
    try {
      const ready = await t.http.get('/readyz');
      expect(ready.body).toMatchObject({ status: 'ready', mode: { postgres: 'server', redis: 'memory' }, redis: 'ok', degraded: false });
      expect((await t.http.get('/metrics')).text).toContain('switchboard_store_mode{postgres="server",redis="memory"} 1');
      expect(() => t.redis).toThrow(/memory mode/);
    } finally {
      await t.cleanup();
    }
  });
});
