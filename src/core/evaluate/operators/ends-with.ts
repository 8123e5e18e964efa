/**
 * flagd's `ends_with`: `[value, suffix]`, both strings, true if value ends with suffix.
 * Any other argument shape is an operator error and returns null (flagd issue #1874).
 */
export function endsWith(args: readonly unknown[]): boolean | null {
  if (args.length !== 2) return null;
  const [value, suffix] = args;
  if (typeof value !== 'string' || typeof suffix !== 'string') return null;
  return value.endsWith(suffix);
}
