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

/** encoding/json's scanner limit (maxNestingDepth): deeper input is a syntax error in Go. */
const GO_MAX_DEPTH = 10_000;

/**
 * The end (exclusive) of the object or array starting at `start`, or -1 when it never closes
 * or nests deeper than Go's decoder accepts.
 */
function endOfComposite(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (i >= text.length) return -1;
    } else if (ch === '{' || ch === '[') {
      if (++depth > GO_MAX_DEPTH) return -1;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The context as Go holds it (`ok` false when a number overflows float64). Iterative, so a
 * context nested as deep as Go accepts cannot overflow the stack.
 */
function asGoValue(value: unknown): { ok: boolean; value: unknown } {
  const leaf = (v: unknown): { ok: boolean; value: unknown } | null => {
    if (typeof v === 'number') return { ok: Number.isFinite(v), value: v };
    if (typeof v === 'string') return { ok: true, value: v.replace(LONE_SURROGATE, '\ufffd') };
    if (typeof v !== 'object' || v === null) return { ok: true, value: v };
    return null;
  };
  const root = leaf(value);
  if (root) return root;
  const rootOut: unknown = Array.isArray(value) ? [] : Object.create(null);
  const stack: Array<[unknown, unknown]> = [[value, rootOut]];
  while (stack.length > 0) {
    const [from, to] = stack.pop()!;
    const keys = Array.isArray(from) ? from.map((_, i) => i) : Object.keys(from as object);
    for (const key of keys) {
      const item = (from as Record<string | number, unknown>)[key];
      const converted = leaf(item);
      let out: unknown;
      if (converted) {
        if (!converted.ok) return converted;
        out = converted.value;
      } else {
        out = Array.isArray(item) ? [] : Object.create(null);
        stack.push([item, out]);
      }
      if (Array.isArray(to)) to.push(out);
      else (to as Record<string, unknown>)[(key as string).replace(LONE_SURROGATE, '\ufffd')] = out;
    }
  }
  return { ok: true, value: rootOut };
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
