/**
 * flagd's `starts_with`: `[value, prefix]`, both strings, true if value starts with prefix.
 * Any other argument shape is an operator error and returns null. Native rules then void
 * the condition (logic-operators.ts); flagd-format flags use the null as a value, as flagd's
 * Go evaluator does (flagd-operators.ts).
 */
export function startsWith(args: readonly unknown[]): boolean | null {
  if (args.length !== 2) return null;
  const [value, prefix] = args;
  if (typeof value !== 'string' || typeof prefix !== 'string') return null;
  return value.startsWith(prefix);
}
