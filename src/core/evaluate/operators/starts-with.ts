/**
 * flagd's `starts_with`: `[value, prefix]`, both strings, true if value starts with prefix.
 * Any other argument shape is an operator error and returns null (flagd issue #1874:
 * errors must fall back to the default variant, not take a `false` branch).
 */
export function startsWith(args: readonly unknown[]): boolean | null {
  if (args.length !== 2) return null;
  const [value, prefix] = args;
  if (typeof value !== 'string' || typeof prefix !== 'string') return null;
  return value.startsWith(prefix);
}
