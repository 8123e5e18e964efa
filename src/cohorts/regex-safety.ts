/**
 * Catastrophic regexes in cohort definitions (PRODUCT.md 12): a pattern whose matching time
 * can grow exponentially with the input (nested quantifiers such as `(a+)+`, star height
 * above 1) is refused when saved, before it can hold a PostgreSQL backend or a refresh. The
 * check is safe-regex2's star-height analysis (the fastify project's, on the `ret` parser);
 * patterns JavaScript cannot parse (PostgreSQL-only syntax) are left to PostgreSQL's own
 * check, and every cohort query also runs under a statement_timeout (error code `timeout`).
 */
import safeRegex from 'safe-regex2';

/** Longest pattern accepted, characters. */
export const MAX_REGEX_LENGTH = 1000;

/** Why a pattern is refused, or null when it may be saved. Pure. */
export function regexHazard(pattern: string): string | null {
  if (pattern.length > MAX_REGEX_LENGTH) return `a regex is at most ${MAX_REGEX_LENGTH} characters`;
  try {
    new RegExp(pattern);
  } catch {
    return null;
  }
  return safeRegex(pattern, { limit: 25 })
    ? null
    : 'this regex can backtrack catastrophically (a quantifier inside a quantified group, such as (a+)+); rewrite it without nested repetition';
}
