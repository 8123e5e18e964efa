/**
 * Where two JSON documents differ, as paths (`rules[1].rollout: 50 -> 60`), for plans that
 * say exactly what an update changes. Arrays compare by index; object key order is ignored.
 */
import { joinPath } from '../core/index.js';
import { canonicalJson } from './canonical-json.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const short = (v: unknown) => {
  const s = v === undefined ? '(none)' : canonicalJson(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

/** Up to `limit` differences between `before` and `after`, each `path: before -> after`. */
export function jsonDiff(before: unknown, after: unknown, limit = 5, base = ''): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (out.length >= limit || canonicalJson(a) === canonicalJson(b)) return;
    if (isObject(a) && isObject(b)) {
      for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(a[k], b[k], joinPath(path, k));
    } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((item, i) => walk(item, b[i], joinPath(path, i)));
    } else {
      out.push(`${path || '(document)'}: ${short(a)} -> ${short(b)}`);
    }
  };
  walk(before, after, base);
  return out;
}
