/**
 * A structural diff of two JSON values, as the changed leaf paths (`rules[1].rollout`),
 * for "changed by someone else" and the audit log's before/after. Pure.
 */
export interface DiffEntry {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const join = (base: string, k: string | number) => (typeof k === 'number' ? `${base}[${k}]` : base ? `${base}.${k}` : k);

/** Changed paths from `before` to `after`, in document order. */
export function diffJson(before: unknown, after: unknown, path = ''): DiffEntry[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => {
      if (!(k in after)) return [{ path: join(path, k), kind: 'removed' as const, before: before[k] }];
      if (!(k in before)) return [{ path: join(path, k), kind: 'added' as const, after: after[k] }];
      return diffJson(before[k], after[k], join(path, k));
    });
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const n = Math.max(before.length, after.length);
    const out: DiffEntry[] = [];
    for (let i = 0; i < n; i++) {
      if (i >= after.length) out.push({ path: join(path, i), kind: 'removed', before: before[i] });
      else if (i >= before.length) out.push({ path: join(path, i), kind: 'added', after: after[i] });
      else out.push(...diffJson(before[i], after[i], join(path, i)));
    }
    return out;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (before === undefined) return [{ path: path || '(document)', kind: 'added', after }];
  if (after === undefined) return [{ path: path || '(document)', kind: 'removed', before }];
  return [{ path: path || '(document)', kind: 'changed', before, after }];
}
