/**
 * What PostgreSQL and our own code can safely take of client JSON: no NUL characters or lone
 * surrogates (text and jsonb refuse them), no `__proto__` keys (prototype pollution through
 * later merges), bounded nesting. Pure; the HTTP edge and per-item validation (events,
 * People API updates) both use it, so one bad item never costs its valid neighbours.
 */

/** Deepest JSON nesting a body may have. */
export const MAX_JSON_DEPTH = 64;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored (PostgreSQL refuses NUL in text and jsonb, and lone surrogates), or null. */
export function unstorable(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(s)) return 'must not contain lone surrogates (invalid UTF-16)';
  return null;
}

/** One problem of a JSON value: where (a path like `body.rules[2].condition`) and why. */
export interface JsonProblem {
  path: string;
  message: string;
}

const segment = (base: string, key: string | number) =>
  typeof key === 'number' ? `${base}[${key}]` : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? (base === '' ? key : `${base}.${key}`) : `${base}[${JSON.stringify(key)}]`;

/**
 * The first problem of a parsed JSON value, or null: nesting deeper than `maxDepth`, a
 * `__proto__` key (prototype pollution through later merges), NUL characters or lone
 * surrogates in a key or a string. Iterative, so a hostile depth cannot overflow the stack.
 */
export function inspectJson(value: unknown, base = 'body', maxDepth = MAX_JSON_DEPTH): JsonProblem | null {
  const stack: Array<[unknown, string, number]> = [[value, base, 0]];
  while (stack.length) {
    const [v, path, depth] = stack.pop()!;
    if (typeof v === 'string') {
      const problem = unstorable(v);
      if (problem) return { path, message: problem };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= maxDepth) return { path, message: `nested deeper than ${maxDepth} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], segment(path, i), depth + 1]);
      continue;
    }
    for (const key of Object.keys(v)) {
      if (key === '__proto__') return { path: segment(path, key), message: 'the key "__proto__" is not allowed' };
      const problem = unstorable(key);
      if (problem) return { path: segment(path, key.replace(/\p{Cc}|\p{Cs}/gu, '?')), message: `key ${problem}` };
      stack.push([(v as Record<string, unknown>)[key], segment(path, key), depth + 1]);
    }
  }
  return null;
}

