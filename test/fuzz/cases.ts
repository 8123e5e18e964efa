/**
 * One fuzz case = one request: a route of routes.ts with its path parameters, query string,
 * headers and body each either what a good client sends or one of the hostile classes of
 * hostile.ts / bodies.ts. Cases are plain data (replayable from the seed and their index).
 */
import fc from 'fast-check';
import { type BodySpec, encodedBody, hostileJson, nonJsonBody, rawLeaf, RawJson } from './bodies.js';
import { hostileKey, hostileLeaf, hostileQueryValue, hostileSegment, oddHeaderValue, wtf8Encode } from './hostile.js';
import { type Route, type Shape, validParams, type World } from './routes.js';

export interface FuzzCase {
  /** `METHOD template` of the route it was made from */
  route: string;
  method: string;
  /** path and query as sent */
  path: string;
  headers: Record<string, string>;
  body: BodySpec | null;
  /**
   * the error shape a 4xx must have: the route's; ours when the method is not the route's;
   * either ours or the route's when a path tail may or may not still match the route. Every
   * path under /ofrep/ answers in OFREP's shape; off its routes (another method, a tail) an
   * error need not carry an OFREP errorCode ('ofrep-any': `{ errorDetails }` is enough).
   */
  shape: Shape | 'either' | 'ofrep-any';
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/** A path parameter: mostly a valid value (so deeper code runs), else hostile. */
const param = (valid: string[], name: string): fc.Arbitrary<string> => {
  const hostile = name === 'keyId' ? hostileSegment.map(notAKeyId) : hostileSegment;
  return fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: name === 'project' ? 6 : 3 }, { arbitrary: hostile, weight: 4 });
};

/** Keeps key-revocation cases off real key ids (anything Number() reads as a small positive integer). */
function notAKeyId(segment: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return segment;
  }
  const n = Number(decoded);
  return Number.isInteger(n) && n > 0 && n < 1e6 ? '1e23' : segment;
}

function queryOf(route: Route): fc.Arbitrary<string> {
  const known = Object.entries(route.query ?? {});
  const pair = fc.oneof(
    ...(known.length
      ? [{ arbitrary: fc.constantFrom(...known).chain(([k, values]) => fc.oneof(fc.constantFrom(...values), hostileQueryValue).map((v) => `${k}=${v}`)), weight: 5 }]
      : []),
    { arbitrary: fc.tuple(hostileSegment, hostileQueryValue).map(([k, v]) => `${k}=${v}`), weight: 2 },
    // repeated keys and bracket arrays of a known name
    { arbitrary: fc.constantFrom(...(known.length ? known.map(([k]) => k) : ['limit'])).chain((k) => fc.constantFrom(`${k}=1&${k}=2`, `${k}[]=1&${k}[]=2`, `${k}[a]=1`, `${k}`, `${k}=`, `${k}=1&${k}=%00`)), weight: 2 },
    { arbitrary: fc.constantFrom('', '=', '&', '==', '%', '%ZZ=1', 'a=%E0%A4%A', '__proto__=1', 'constructor[prototype][x]=1', 'explain=1&explain=true'), weight: 1 },
  );
  return fc.oneof(
    { arbitrary: fc.constant(''), weight: known.length ? 2 : 6 },
    { arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((ps) => `?${ps.join('&')}`), weight: 3 },
  );
}

/** Authorization (and OFREP's X-API-Key) for the route's credential, sometimes odd. */
function authOf(route: Route, w: World): fc.Arbitrary<Record<string, string>> {
  const good: Record<string, string> =
    route.auth === 'admin' ? { Authorization: `Bearer ${w.adminKey}` } : route.auth === 'none' ? {} : { Authorization: `Bearer ${w.token}` };
  const secret = route.auth === 'admin' ? w.adminKey : w.token;
  const odd = fc.oneof(
    fc.constant<Record<string, string>>({}),
    fc.constantFrom(
      'Bearer', 'Bearer ', `bearer ${secret}`, `BEARER   ${secret}  `, `Bearer ${secret} extra`, `Bearer ${secret}x`, `Basic ${Buffer.from(`u:${secret}`).toString('base64')}`,
      `Digest username="${secret}"`, `Token ${secret}`, `Bearer ${route.auth === 'admin' ? w.token : w.adminKey}`, `Bearer ${w.otherKey}`, `Bearer ${'x'.repeat(4_000)}`,
      'Bearer sba_', 'Bearer \u00e9\u00ff', 'Bearer %00', `Bearer\t${secret}`,
    ).map((v) => ({ Authorization: v })),
    oddHeaderValue.map((v) => ({ Authorization: v })),
  );
  const arbs: Array<{ arbitrary: fc.Arbitrary<Record<string, string>>; weight: number }> = [
    { arbitrary: fc.constant(good), weight: 8 },
    { arbitrary: odd, weight: 2 },
  ];
  if (route.auth === 'ofrep') arbs.push({ arbitrary: fc.constantFrom({ 'X-API-Key': w.token }, { 'X-API-Key': '' }, { 'X-API-Key': 'x'.repeat(3_000) }), weight: 1 });
  return fc.oneof(...arbs);
}

const CONTENT_TYPES = [
  'text/plain', 'text/csv', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1',
  'application/json; charset=utf-16', 'application/json; charset=nope', 'application/vnd.api+json', 'application/octet-stream', '', 'json', '*/*',
  'application/json, text/plain', 'APPLICATION/JSON', 'application/json;', 'text/csv; charset=utf-8', 'application/xml',
];

function contentTypeOf(route: Route): fc.Arbitrary<string | undefined> {
  const usual = fc.constantFrom('application/json', 'application/json; charset=utf-8');
  const arbs: Array<{ arbitrary: fc.Arbitrary<string | undefined>; weight: number }> = [
    { arbitrary: usual, weight: 8 },
    { arbitrary: fc.constantFrom(...CONTENT_TYPES), weight: 2 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  ];
  if (route.csv) arbs.push({ arbitrary: fc.constant('text/csv'), weight: 4 });
  return fc.oneof(...arbs);
}

const extraHeaders: fc.Arbitrary<Record<string, string>> = fc
  .array(
    fc.tuple(
      fc.constantFrom('If-Match', 'If-None-Match', 'X-Request-Id', 'Origin', 'Accept', 'Accept-Encoding', 'X-API-Key', 'Cookie', 'X-Forwarded-For', 'Access-Control-Request-Method', 'Access-Control-Request-Headers', 'Expect', 'Range', 'Content-Language'),
      oddHeaderValue,
    ),
    { maxLength: 3 },
  )
  .map((pairs) => Object.fromEntries(pairs.filter(([k, v]) => !(k === 'Expect' && v !== '100-continue'))));

// --- bodies ----------------------------------------------------------------------------------

type Path = Array<string | number>;

/** Every path of a JSON value (objects and arrays included), root first. */
function pathsOf(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) pathsOf(x, [...at, k], out);
  return out;
}

type Mutation = { op: 'replace' | 'delete' | 'add-key' | 'wrap' | 'raw'; at: number; value: unknown; key: string };

function mutate(template: unknown, m: Mutation): unknown {
  const root = structuredClone(template);
  const paths = pathsOf(root);
  const path = paths[m.at % paths.length];
  const parentOf = (p: Path) => p.slice(0, -1).reduce<any>((o, k) => o[k], root);
  const set = (p: Path, value: unknown) => {
    if (p.length === 0) return value;
    const parent = parentOf(p);
    if (Array.isArray(parent) || typeof parent === 'object') Object.defineProperty(parent, p[p.length - 1], { value, enumerable: true, configurable: true, writable: true });
    return root;
  };
  const here = path.reduce<any>((o, k) => o?.[k], root);
  switch (m.op) {
    case 'replace':
    case 'raw':
      return set(path, m.value);
    case 'wrap':
      return set(path, [here]);
    case 'delete': {
      if (path.length === 0) return {};
      const parent = parentOf(path);
      if (Array.isArray(parent)) parent.splice(Number(path[path.length - 1]), 1);
      else delete parent[path[path.length - 1]];
      return root;
    }
    case 'add-key': {
      const target = here && typeof here === 'object' && !Array.isArray(here) ? here : root && typeof root === 'object' && !Array.isArray(root) ? root : null;
      if (!target) return root;
      // defineProperty, so `__proto__` becomes an own key as JSON.parse would make it
      Object.defineProperty(target, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
      return root;
    }
  }
}

function jsonBodyOf(route: Route, w: World): fc.Arbitrary<BodySpec> {
  const template = route.body ? route.body(w) : {};
  const mutation: fc.Arbitrary<Mutation> = fc.record({
    op: fc.constantFrom<Mutation['op']>('replace', 'replace', 'replace', 'delete', 'add-key', 'add-key', 'wrap', 'raw'),
    at: fc.nat(),
    value: fc.oneof({ arbitrary: hostileLeaf, weight: 4 }, { arbitrary: hostileJson, weight: 2 }),
    key: hostileKey,
  });
  const rawMutation = fc.tuple(fc.nat(), rawLeaf(route.limit || 100 * 1024)).map(([at, raw]) => ({ op: 'raw' as const, at, value: raw, key: '' }));
  const mutated = fc.oneof(mutation, rawMutation).map((m) => ({ kind: 'json' as const, value: mutate(template, m) }));
  const twice = fc.tuple(mutation, mutation).map(([a, b]) => ({ kind: 'json' as const, value: mutate(mutate(template, a), b) }));
  const valid = fc.constant<BodySpec>({ kind: 'json', value: template });
  const oversize = fc.constantFrom(1.01, 1.5).map((f) => ({ kind: 'oversize' as const, bytes: Math.ceil((route.limit || 100 * 1024) * f) }));
  const json = fc.oneof(
    { arbitrary: mutated, weight: 10 },
    { arbitrary: twice, weight: 3 },
    { arbitrary: valid, weight: 2 },
    { arbitrary: hostileJson.map((value) => ({ kind: 'json' as const, value })), weight: 3 },
    { arbitrary: rawLeaf(route.limit || 100 * 1024).map((value): BodySpec => ({ kind: 'json', value })), weight: 2 },
  );
  const arbs: Array<{ arbitrary: fc.Arbitrary<BodySpec>; weight: number }> = [
    { arbitrary: json, weight: 120 },
    { arbitrary: nonJsonBody, weight: 18 },
    // a 5-16 MB body per case would dominate the run: the biggest routes see their limit rarely
    { arbitrary: oversize, weight: route.limit > 4 * 1024 * 1024 ? 1 : 6 },
    { arbitrary: encodedBody(fc.oneof(valid, mutated)), weight: 12 },
  ];
  if (route.csv) arbs.push({ arbitrary: csvBody, weight: 36 });
  return fc.oneof(...arbs);
}

/** CSV uploads: a distinct_id column with hostile rows, no such column, broken quoting. */
const csvBody: fc.Arbitrary<BodySpec> = fc.oneof(
  fc.array(fc.oneof(fc.constantFrom('alice', 'carol', 'agent-1'), fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('\u0000', '"', '"unterminated', 'a,b', '', 'null', 'x'.repeat(300))), { maxLength: 20 }).map((rows) => ({
    kind: 'text' as const,
    text: `distinct_id\n${rows.join('\n')}\n`,
  })),
  fc.constantFrom('', '\n', 'name\nalice\n', 'distinct_id,distinct_id\na,b\n', '"distinct_id\nalice', '\uFEFFdistinct_id\r\nalice\r\n', 'distinct_id\n' + 'u\n'.repeat(100_001)).map((text) => ({ kind: 'text' as const, text })),
);

function bodyOf(route: Route, w: World): fc.Arbitrary<BodySpec | null> {
  if (route.limit === 0) return fc.oneof({ arbitrary: fc.constant(null), weight: 19 }, { arbitrary: jsonBodyOf(route, w), weight: 1 });
  return fc.oneof({ arbitrary: jsonBodyOf(route, w), weight: 30 }, { arbitrary: fc.constant(null), weight: 1 });
}

/** Content-Encoding headers that lie about or cannot decode the body. */
const badEncoding = fc.constantFrom('gzip', 'deflate', 'br', 'compress', 'gzip, gzip', 'identity', 'x-unknown', 'GZIP', '');

/**
 * Past 16 KB of request line and headers node's own parser answers 431 and closes the
 * connection before the app sees the request; cases stay under it (12 KB of URL).
 */
function capUrl(path: string): string {
  if (path.length <= 12_000) return path;
  const q = path.indexOf('?');
  if (q === -1 || q > 12_000) return path.slice(0, 12_000).replace(/%[0-9A-Fa-f]?$/, '');
  const pairs = path.slice(q + 1).split('&');
  let out = path.slice(0, q + 1);
  for (const p of pairs) if (out.length + p.length + 1 <= 12_000) out += (out.endsWith('?') ? '' : '&') + p;
  return out;
}

/** The arbitrary of one route's cases. */
export function caseOf(route: Route, w: World): fc.Arbitrary<FuzzCase> {
  const valid = validParams(w);
  const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
  const params = fc.tuple(...names.map((n) => param(valid[n] ?? ['x'], n)));
  const pathTail = fc.oneof({ arbitrary: fc.constant(''), weight: 30 }, { arbitrary: fc.constantFrom('/', '//', '/..', '/%2e%2e', '/extra', '?', '#frag', ';x=1'), weight: 1 });
  const method = fc.oneof({ arbitrary: fc.constant(route.method), weight: 25 }, { arbitrary: fc.constantFrom(...METHODS), weight: 1 });
  return fc
    .record({
      params,
      tail: pathTail,
      query: queryOf(route),
      method,
      auth: authOf(route, w),
      contentType: contentTypeOf(route),
      extra: extraHeaders,
      body: bodyOf(route, w),
      lie: fc.oneof({ arbitrary: fc.constant<string | null>(null), weight: 20 }, { arbitrary: badEncoding, weight: 1 }),
      // the fast path serves POST /v1/decide; an express fallback serves other content types and encodings
      chunked: fc.oneof({ arbitrary: fc.constant(false), weight: 15 }, { arbitrary: fc.constant(true), weight: 1 }),
    })
    .map((r): FuzzCase => {
      let i = 0;
      const path = route.path.replace(/:(\w+)/g, () => r.params[i++]) + r.tail + r.query;
      const headers: Record<string, string> = { ...r.extra, ...r.auth };
      if (r.body) {
        if (r.contentType !== undefined) headers['Content-Type'] = r.contentType;
        if (r.body.kind === 'text' && route.csv && r.body.text.startsWith('distinct_id')) headers['Content-Type'] = 'text/csv';
        const enc = r.body.kind === 'gzip' || r.body.kind === 'bomb' ? 'gzip' : r.body.kind === 'deflate' ? 'deflate' : undefined;
        if (enc) headers['Content-Encoding'] = enc;
        else if (r.lie !== null) headers['Content-Encoding'] = r.lie;
        if (r.chunked) headers['Transfer-Encoding'] = 'chunked';
      }
      const offRoute = r.method !== route.method || r.tail !== '';
      const shape: FuzzCase['shape'] = route.shape === 'console' ? 'console'
        : path.startsWith('/ofrep/') ? (offRoute ? 'ofrep-any' : 'ofrep')
        : r.method !== route.method ? 'api' : r.tail === '' ? route.shape : 'either';
      return { route: `${route.method} ${route.path}`, method: r.method, path: capUrl(path), headers, body: r.body, shape };
    });
}

/** Cases over `routes`, each picked by its weight. */
export function casesOf(routes: Route[], w: World): fc.Arbitrary<FuzzCase> {
  return fc.oneof(...routes.map((r) => ({ arbitrary: caseOf(r, w), weight: Math.max(1, Math.round(r.weight * 10)) })));
}

export { RawJson, wtf8Encode };
