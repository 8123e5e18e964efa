/**
 * Reads an OFREP request body as flagd's OFREP service does (open-feature/flagd
 * flagd/pkg/service/flag-evaluation/ofrep/handler.go#extractOfrepRequest, which decodes one
 * JSON value with encoding/json's Decoder into `struct{ Context any }`):
 * - an empty body (EOF) or `null` is no context; data after the first JSON value is ignored;
 * - anything that is not one JSON object (or null) is refused: INVALID_CONTEXT;
 * - the member is found as Go finds struct fields (exact name, else case-insensitively; the
 *   last match wins); a `context` that is not an object is ignored (evaluated as empty);
 * - inside the context, a number Go cannot hold as a float64 (1e400) refuses the request,
 *   and unpaired surrogates become U+FFFD, as Go decodes them.
 */

/** The decoded context (an object, empty when absent or ignored), or null when refused. */
export type OfrepContext = Record<string, unknown>;

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}

/** The end (exclusive) of the object or array starting at `start`, or -1 when it never closes. */
function endOfComposite(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (i >= text.length) return -1;
    } else if (ch === '{' || ch === '[') {
      depth++;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The context as Go holds it; null when a number overflows float64. */
function asGoValue(value: unknown): { ok: boolean; value: unknown } {
  if (typeof value === 'number') return { ok: Number.isFinite(value), value };
  if (typeof value === 'string') return { ok: true, value: value.replace(LONE_SURROGATE, '\ufffd') };
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const r = asGoValue(item);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return { ok: true, value: out };
  }
  if (typeof value === 'object' && value !== null) {
    const out = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value)) {
      const r = asGoValue((value as Record<string, unknown>)[key]);
      if (!r.ok) return r;
      out[key.replace(LONE_SURROGATE, '\ufffd')] = r.value;
    }
    return { ok: true, value: out };
  }
  return { ok: true, value };
}

/** encoding/json's case-insensitive field match (with Go's special folds of ſ and K). */
function isContextField(key: string): boolean {
  return key.length === 7 && key.replace(/\u017f/g, 's').replace(/\u212a/g, 'k').replace(/[A-Z]/g, (c) => c.toLowerCase()) === 'context';
}

/** Decodes an OFREP body: the context to evaluate with, or null (400 INVALID_CONTEXT). */
export function decodeOfrepBody(body: string): OfrepContext | null {
  const start = skipSpace(body, 0);
  if (start === body.length) return {};
  if (body.startsWith('null', start)) return skipSpace(body, start + 4) > start + 4 || start + 4 === body.length ? {} : null;
  if (body[start] !== '{') return null;
  const end = endOfComposite(body, start);
  if (end < 0) return null;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body.slice(start, end)) as Record<string, unknown>;
  } catch {
    return null;
  }
  // Go assigns every member that names the field, in order: the last one wins.
  let context: unknown;
  for (const key of Object.keys(parsed)) if (isContextField(key)) context = parsed[key];
  const decoded = asGoValue(context);
  if (!decoded.ok) return null;
  const value = decoded.value;
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as OfrepContext) : {};
}
