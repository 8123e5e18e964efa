/**
 * src/core/evaluate is what a client needs to evaluate: its import graph holds no validation
 * library (zod, ajv), no json-logic-js and nothing outside src/core/evaluate (the SDK may
 * import it). src/core as a whole imports nothing outside src/core.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importGraph } from '../../helpers/import-graph.js';

const root = path.resolve('src/core');

describe('the core import graph', () => {
  it('core/evaluate reaches only its own files and murmurhash3js', () => {
    const { files, packages } = importGraph('src/core/evaluate/index.ts');
    expect([...packages].sort()).toEqual(['murmurhash3js']);
    for (const f of files) expect(f.startsWith(path.join(root, 'evaluate') + path.sep), f).toBe(true);
    expect(files.size).toBeGreaterThan(10);
  });

  it('core/index.ts reaches only src/core, and zod and ajv only through core/compile', () => {
    const { files, packages } = importGraph('src/core/index.ts');
    for (const f of files) expect(f.startsWith(root + path.sep), f).toBe(true);
    expect([...packages].sort()).toEqual(['ajv', 'json-logic-js', 'murmurhash3js', 'zod']);
  });
});
