import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Storage } from './types.js';

/**
 * A Storage in one JSON file, for Node: read once, rewritten whole on every change (written
 * to `<path>.tmp` then renamed, so a crash leaves the old or the new file, never half of one).
 * One client per file: two processes sharing a file overwrite each other's writes.
 */
export function fileStorage(path: string): Storage {
  let data: Record<string, string> = {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) data = parsed as Record<string, string>;
  } catch {
    // missing or corrupt: start empty
  }
  const save = () => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, JSON.stringify(data));
    renameSync(`${path}.tmp`, path);
  };
  return {
    getItem: (k) => (Object.prototype.hasOwnProperty.call(data, k) ? data[k] : null),
    setItem(k, v) {
      data[k] = String(v);
      save();
    },
    removeItem(k) {
      if (!Object.prototype.hasOwnProperty.call(data, k)) return;
      delete data[k];
      save();
    },
  };
}
