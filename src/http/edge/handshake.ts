/**
 * The handshake at the edge (PRODUCT.md 8.1), shared by the fast path and express: the
 * request body to a DecideRequest, and a DecideOutcome to the answer (200 with an ETag, or
 * 304 when If-None-Match matches). Rendered once here, whatever server carries the request.
 */
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { Decision, SurveyOffer } from '../../core/index.js';
import type { DecideOutcome, DecideRequest } from '../../services/decide.js';
import type { ProjectSnapshot } from '../../services/snapshots.js';
import { distinctIdSchema, isPlaceholderId } from '../distinct-id.js';
import { parse } from '../validate.js';
import { cacheHeaders, etagOf, matchesEtag } from './etag.js';
import { entryOf, fragmentsOf, type DecisionEntry } from './fragments.js';
import type { Freshness } from '../../services/consistency.js';
import { freshnessHeaders, freshnessJson, settledFreshness } from './consistency.js';

/** The `/v1/decide` request body (PRODUCT.md 8.1). */
export const decideBody = z
  .object({
    token: z.string().optional(),
    distinct_id: distinctIdSchema,
    anon_id: distinctIdSchema.nullish(),
    person_properties: z.record(z.unknown()).optional(),
    context: z.record(z.unknown()).optional(),
    only: z.array(z.string().min(1).max(200)).max(1000).optional(),
    explain: z.boolean().optional(),
    // read-your-writes (edge/consistency.ts checks them): not part of the DecideRequest
    min_token: z.string({ invalid_type_error: 'must be a consistency token (a string from a write answer)' }).optional(),
    wait: z.number({ invalid_type_error: 'must be a whole number of milliseconds (0 or more)' }).int('must be a whole number of milliseconds (0 or more)').nonnegative('must be a whole number of milliseconds (0 or more)').optional(),
  })
  .strict();

const validId = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 200 && !isPlaceholderId(v);

/**
 * The handshake question from a parsed body. The common body (`distinct_id`, maybe
 * `anon_id` and `token`) is checked by hand, as zod would; anything else goes through zod,
 * so errors name the field exactly as everywhere else. Throws a 400 or 403 AppError.
 */
export function decideRequest(projectId: number, body: unknown): DecideRequest {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    let simple = validId(b.distinct_id);
    for (const k in b) {
      if (k === 'distinct_id') continue;
      if (k === 'token' ? typeof b.token !== 'string' : k !== 'anon_id' || (b.anon_id != null && !validId(b.anon_id))) simple = false;
    }
    if (simple) return { projectId, distinctId: b.distinct_id as string, anonId: (b.anon_id as string | null | undefined) ?? null };
  }
  const full = parse(decideBody, body, 'body');
  if (full.explain) {
    throw new AppError('forbidden', 'explain needs an admin key: use GET /v1/projects/:project/persons/:distinct_id?explain=1');
  }
  return {
    projectId,
    distinctId: full.distinct_id,
    anonId: full.anon_id ?? null,
    personProperties: full.person_properties,
    context: full.context,
    only: full.only,
  };
}

// The snapshot block depends only on the snapshot and the degraded flag: serialize it once.
const snapshotJson = new WeakMap<ProjectSnapshot, [string, string]>();

function snapshotBlock(snap: ProjectSnapshot, degraded: boolean): string {
  let pair = snapshotJson.get(snap);
  if (!pair) {
    const cohorts: Record<string, { state: string; version: number; as_of: string | null }> = {};
    for (const c of snap.readCohorts) {
      cohorts[c.key] = { state: c.state, version: c.version, as_of: c.asOf === null ? null : new Date(c.asOf).toISOString() };
    }
    pair = [JSON.stringify({ version: snap.version, cohorts, degraded: false }), JSON.stringify({ version: snap.version, cohorts, degraded: true })];
    snapshotJson.set(snap, pair);
  }
  return pair[degraded ? 1 : 0];
}

export { compact } from './fragments.js';

/** The entries of an outcome's decisions (edge/fragments.ts), in rendering order, and its ETag. */
interface Compacted {
  flags: DecisionEntry[];
  configs: DecisionEntry[];
  surveys: DecisionEntry[];
  etag: string;
}

/**
 * The ETag's input is the degraded mark and each decision's digest (its kind and compact
 * form, hashed once per snapshot entry: edge/fragments.ts), in rendering order; nothing is
 * built per decision here.
 */
function compactAll(o: DecideOutcome, behind = false): Compacted {
  const r = o.result;
  const cache = fragmentsOf(o.snapshot);
  const flags: DecisionEntry[] = [];
  const configs: DecisionEntry[] = [];
  const surveys: DecisionEntry[] = [];
  // An answer behind its consistency token has an ETag of its own: it never revalidates a fresh copy.
  let s = (behind ? 'B' : '') + (o.degraded ? 'D' : 'L');
  for (const k in r.flags) {
    const e = entryOf(cache, 'flags', r.flags[k]);
    flags.push(e);
    s += e.digest;
  }
  for (const k in r.configs) {
    const e = entryOf(cache, 'configs', r.configs[k]);
    configs.push(e);
    s += e.digest;
  }
  for (let i = 0; i < r.surveys.length; i++) {
    const e = entryOf(cache, 'surveys', r.surveys[i]);
    surveys.push(e);
    s += e.digest;
  }
  return { flags, configs, surveys, etag: etagOf(s) };
}

/**
 * The handshake's ETag, from what a client sees change: every decision's key, definition
 * version, variant, reason, rule and error code, the state of each cohort it read, the
 * surveys offered, and whether the answer is degraded. A definition version and a variant
 * fix the value, payload and metadata, so they need no hashing. Not covered: as-of times,
 * snapshot and cohort versions, generated_at, which move on every refresh without changing a
 * decision: a 304 means no decision changed (docs/handshake.md). sha1, base64url, over a
 * 96-bit digest of each decision's compact form (the same in every process and snapshot).
 */
export const decisionsEtag = (o: DecideOutcome): string => compactAll(o).etag;

/**
 * `"key":{…}` for one decision, from its entry (edge/fragments.ts). An error's message and an
 * explain trace are per request: those render every time. (No closures here: this runs 65
 * times per handshake.)
 */
function fragment(e: DecisionEntry, key: string, d: Decision): string {
  if (d.trace || d.error_message !== undefined) return `${JSON.stringify(key)}:${JSON.stringify(d)}`;
  if (e.json === undefined) e.json = `${JSON.stringify(key)}:${JSON.stringify(d)}`;
  return e.json;
}

function offerFragment(e: DecisionEntry, offer: SurveyOffer): string {
  if (offer.trace) return JSON.stringify(offer);
  if (e.json === undefined) e.json = JSON.stringify(offer);
  return e.json;
}

/**
 * The handshake body up to its `generated_at` (the caller appends it and the closing brace:
 * no slice, which would copy the 15 KB rope once more), from the
 * snapshot's fragments: byte for byte what JSON.stringify of the whole answer gives.
 */
function renderedBody(o: DecideOutcome, c: Compacted): string {
  const r = o.result;
  let out = '{"flags":{';
  let i = 0;
  for (const k in r.flags) out += (i ? ',' : '') + fragment(c.flags[i++], k, r.flags[k]);
  out += '},"configs":{';
  i = 0;
  for (const k in r.configs) out += (i ? ',' : '') + fragment(c.configs[i++], k, r.configs[k]);
  out += '},"surveys":[';
  for (i = 0; i < r.surveys.length; i++) out += (i ? ',' : '') + offerFragment(c.surveys[i], r.surveys[i]);
  return `${out}],"snapshot":${snapshotBlock(o.snapshot, o.degraded)}`;
}

/** `json` (an object's JSON) with `generated_at` added last. */
export const withGeneratedAt = (json: string, at: Date) => `${json.slice(0, -1)},"generated_at":"${at.toISOString()}"}`;

/** `Server-Timing` for a handshake: gather (snapshot + Redis) and evaluate (core), in ms. */
export const serverTiming = (o: DecideOutcome) => `gather;dur=${o.timing.gatherMs.toFixed(2)}, evaluate;dur=${o.timing.evaluateMs.toFixed(2)}`;

/** An answer to write: status, headers and (except 304) the JSON body. */
export interface EdgeResponse {
  status: number;
  headers: Record<string, string>;
  body?: string;
  /** answer without CORS headers (a refused browser origin: edge/cors.ts#OriginRefused) */
  noCors?: boolean;
}

/**
 * The handshake answer: 304 with no body when `If-None-Match` matches the ETag, else 200
 * with the JSON (and `generated_at`, which the ETag does not cover). Both carry the ETag,
 * `Cache-Control: private, no-cache` and `Server-Timing` (gather and evaluate, ms).
 * With `freshness` (the request carried a consistency token, edge/consistency.ts) the body
 * gains `freshness: { behind, token }` and the headers `Switchboard-Behind` and
 * `Switchboard-Consistency-Token`; an answer that is behind is never a 304 and has an ETag
 * of its own, so a stale answer is never presented as a fresh one.
 */
export function handshakeResponse(o: DecideOutcome, ifNoneMatch: string | undefined, now: Date, freshness?: Freshness | null): EdgeResponse {
  const f = freshness ? settledFreshness(freshness, o) : null;
  // The ETag comes from the decisions, so a 304 is answered without rendering the body.
  const c = compactAll(o, f?.behind === true);
  const headers: Record<string, string> = { 'Server-Timing': serverTiming(o), ...cacheHeaders(c.etag), ...(f ? freshnessHeaders(f) : undefined) };
  if (f?.behind !== true && matchesEtag(ifNoneMatch, c.etag)) return { status: 304, headers };
  const open = renderedBody(o, c);
  headers['Content-Type'] = 'application/json; charset=utf-8';
  return { status: 200, headers, body: `${open}${f ? `,${freshnessJson(f)}` : ''},"generated_at":"${now.toISOString()}"}` };
}
