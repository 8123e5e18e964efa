import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('has defaults that work on a fresh machine', () => {
    const c = loadConfig({});
    // Resolved at start-up: the local servers when they answer, else embedded / in-process.
    expect(c.DATABASE_URL).toBe('auto');
    expect(c.REDIS_URL).toBe('auto');
    expect(c.SWITCHBOARD_DIR).toBe('.switchboard');
    expect(c.PORT).toBe(3000);
    expect(c.LOG_LEVEL).toBe('info');
    expect(c.INIT_ADMIN_KEY).toBeUndefined();
  });

  it.each([
    ['PORT', 'abc', /PORT="abc"/],
    ['PORT', '70000', /PORT="70000"/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL="mysql:\/\/x".*postgres:\/\//],
    ['REDIS_URL', 'nonsense', /REDIS_URL="nonsense"/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL="loud"/],
    ['INIT_ADMIN_KEY', 'short', /INIT_ADMIN_KEY=\(hidden\): must be at least 16/],
    ['RUN_WORKER', 'maybe', /RUN_WORKER="maybe"/],
  ])('refuses %s=%s with one line naming it', (name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('accepts the embedded and in-process modes by name', () => {
    const c = loadConfig({ DATABASE_URL: 'embedded', REDIS_URL: 'memory:' });
    expect([c.DATABASE_URL, c.REDIS_URL]).toEqual(['embedded', 'memory:']);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(3000);
  });
});
