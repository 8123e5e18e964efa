/**
 * flagd's `sem_ver`: `[version, operator, target]` with operators = != < <= > >= ^ ~.
 * Parsing follows flagd (Go), which prefixes "v" and uses golang.org/x/mod/semver:
 * an optional v/V prefix, shorthand "1" and "1.2" (= 1.0.0, 1.2.0, no pre-release allowed
 * then), no leading zeros, pre-release ordered per SemVer 2.0, build metadata ignored.
 * Numbers are read as their decimal string (1 -> "1"). Any invalid argument returns null.
 */

/** A parsed version; numbers stay digit strings so any size compares exactly. */
export interface SemVer {
  major: string;
  minor: string;
  patch: string;
  prerelease: string[];
}

const SEMVER_RE =
  /^(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?)?$/;

const NUMERIC_RE = /^\d+$/;

/** Parses a lenient semantic version; null when it is not one. */
export function parseSemVer(input: unknown): SemVer | null {
  let text: string;
  if (typeof input === 'string') text = input;
  else if (typeof input === 'number' && Number.isFinite(input)) text = String(input);
  else return null;
  if (text.startsWith('v') || text.startsWith('V')) text = text.slice(1);
  const match = SEMVER_RE.exec(text);
  if (match === null) return null;
  const prerelease = match[4] === undefined ? [] : match[4].split('.');
  for (const id of prerelease) {
    if (NUMERIC_RE.test(id) && id.length > 1 && id.startsWith('0')) return null;
  }
  return { major: match[1], minor: match[2] ?? '0', patch: match[3] ?? '0', prerelease };
}

/** Compares non-negative integers written as digit strings (any size, no leading zeros). */
function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePrerelease(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const aNum = NUMERIC_RE.test(a[i]);
    const bNum = NUMERIC_RE.test(b[i]);
    let cmp: number;
    if (aNum && bNum) cmp = compareDigits(a[i], b[i]);
    else if (aNum !== bNum) cmp = aNum ? -1 : 1;
    else cmp = a[i] < b[i] ? -1 : a[i] > b[i] ? 1 : 0;
    if (cmp !== 0) return cmp;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** -1, 0 or 1 as in SemVer 2.0 precedence (build metadata ignored). */
export function compareSemVer(a: SemVer, b: SemVer): number {
  return (
    compareDigits(a.major, b.major) ||
    compareDigits(a.minor, b.minor) ||
    compareDigits(a.patch, b.patch) ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

/** The `sem_ver` operator; null on a wrong argument count, bad version or unknown operator. */
export function semVer(args: readonly unknown[]): boolean | null {
  if (args.length !== 3) return null;
  const target = parseSemVer(args[2]);
  return target === null ? null : compareVersions(args[0], args[1], target);
}

/** `sem_ver` against an already parsed target (compiled expressions parse literal targets once). */
export function compareVersions(version: unknown, operator: unknown, target: SemVer): boolean | null {
  const actual = parseSemVer(version);
  if (actual === null || typeof operator !== 'string') return null;
  switch (operator) {
    case '=':
      return compareSemVer(actual, target) === 0;
    case '!=':
      return compareSemVer(actual, target) !== 0;
    case '<':
      return compareSemVer(actual, target) < 0;
    case '<=':
      return compareSemVer(actual, target) <= 0;
    case '>':
      return compareSemVer(actual, target) > 0;
    case '>=':
      return compareSemVer(actual, target) >= 0;
    case '^':
      return actual.major === target.major;
    case '~':
      return actual.major === target.major && actual.minor === target.minor;
    default:
      return null;
  }
}
