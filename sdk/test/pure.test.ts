import { describe, expect, it } from 'vitest';
import { badId, uuid } from '../src/ids.js';
import { backoffMs } from '../src/queue.js';
import { retryAfterMs, retryable } from '../src/transport.js';

describe('pure helpers', () => {
  it('backs off exponentially with equal jitter, capped at 30 s, with Retry-After as a floor', () => {
    expect(backoffMs(0, undefined, 500, () => 0)).toBe(250);
    expect(backoffMs(0, undefined, 500, () => 1)).toBe(500);
    expect(backoffMs(3, undefined, 500, () => 1)).toBe(4000);
    expect(backoffMs(30, undefined, 500, () => 1)).toBe(30_000);
    expect(backoffMs(0, 5000, 500, () => 0)).toBe(5000);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(new Date(10_000 + 3000).toUTCString(), 10_000)).toBe(3000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it('retries network errors, 408, 429 and 5xx only', () => {
    expect([0, 408, 429, 500, 503].every(retryable)).toBe(true);
    expect([200, 304, 400, 401, 404, 409, 413].some(retryable)).toBe(false);
  });

  it('refuses the placeholder ids the server refuses, and makes UUID v4s', () => {
    for (const id of ['undefined', 'NULL', ' 0 ', 'anonymous', 'Guest', '[object Object]', 'nan', '', '   ', 'x'.repeat(201), 5]) expect(badId(id)).not.toBeNull();
    expect(badId('alice@example.com')).toBeNull();
    const ids = new Set(Array.from({ length: 1000 }, uuid));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
