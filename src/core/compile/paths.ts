/**
 * Error paths in one style everywhere: `rules[2].serve.split[1].weight`.
 * Keys that are not identifiers are quoted: `condition["=="][0]`.
 */

const IDENTIFIER_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Appends one segment (an array index or an object key) to a path. */
export function joinPath(base: string, segment: string | number): string {
  if (typeof segment === 'number') return `${base}[${segment}]`;
  if (IDENTIFIER_RE.test(segment)) return base === '' ? segment : `${base}.${segment}`;
  return `${base}[${JSON.stringify(segment)}]`;
}

/** Formats a segment list (e.g. a zod issue path) as a path string; '' is the root. */
export function formatPath(segments: readonly (string | number)[], base = ''): string {
  let path = base;
  for (const segment of segments) path = joinPath(path, segment);
  return path;
}

export type { CompileIssue } from '../evaluate/compiled.js';
