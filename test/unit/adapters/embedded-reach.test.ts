import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataDirOf, reachableByOthers } from '../../../src/adapters/postgres/embedded-reach.js';

// mkdtemp makes a 0700 folder, as `mktemp -d` does: the postgres user cannot enter it.
const closed = mkdtempSync(path.join(tmpdir(), 'sb-reach-'));
const open = path.join(tmpdir(), `sb-reach-open-${process.pid}`);
mkdirSync(open, { mode: 0o755 });
afterAll(() => {
  rmSync(closed, { recursive: true, force: true });
  rmSync(open, { recursive: true, force: true });
});

describe('the embedded PostgreSQL as root: what the postgres user can reach', () => {
  it('sees a folder under a 0700 parent as unreachable, and one under open parents (or not yet created) as reachable', () => {
    expect(reachableByOthers(path.join(closed, 'checkout', 'pg'))).toBe(false);
    expect(reachableByOthers(path.join(open, 'pg'))).toBe(true);
    expect(reachableByOthers(path.join(open, 'not-yet', 'pg'))).toBe(true);
  });

  it('keeps the data in <dir>/pg where it is reachable, and moves it (the same place every time) where it is not, for root', () => {
    expect(dataDirOf(open)).toBe(path.join(open, 'pg'));
    const moved = dataDirOf(path.join(closed, 'checkout'));
    if (process.getuid?.() === 0) {
      expect(moved).toMatch(/^\/var\/lib\/switchboard\/embedded\/[0-9a-f]{16}\/pg$/);
      expect(dataDirOf(path.join(closed, 'checkout'))).toBe(moved);
    } else {
      expect(moved).toBe(path.join(closed, 'checkout', 'pg'));
    }
  });
});
