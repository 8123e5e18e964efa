/**
 * OFREP at the edge (OpenFeature Remote Evaluation Protocol, service/openapi.yaml), shared by
 * the fast path (http/fast/ofrep-fast.ts) and express (http/routes/ofrep.ts), so both answer
 * byte for byte alike: `POST /ofrep/v1/evaluate/flags/{key}` and `POST /ofrep/v1/evaluate/flags`
 * (bulk, with ETag / If-None-Match). Configs answer too, under their key, when no flag has it
 * (remote config through OpenFeature object flags).
 *
 * The body is read as flagd's OFREP service reads it (ofrep-body.ts). `targetingKey` is the
 * distinct_id when it is one (a string of 1-200 characters, not a placeholder); the rest of
 * the context overlays the person's properties. Otherwise (absent, `""`, a number, an object,
 * ...) the request is keyless: never refused, nobody looked up, and flagd-format flags see
 * `targetingKey` exactly as sent (services/decide.ts#decideKeyless). For a single flagd-format
 * flag, the definition's version is sent in `Switchboard-Definition-Version` (its OFREP
 * metadata is flagd's, untouched). Errors answer in OFREP's shape (`{ errorCode?, errorDetails }`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { DecideAllResult, Decision, JsonValue } from '../../core/index.js';
import type { DecideService } from '../../services/decide.js';
import type { ProjectDirectory } from '../../services/project-directory.js';
import type { ProjectSnapshot } from '../../services/snapshots.js';
import { isPlaceholderId } from '../distinct-id.js';
import { checkOrigin, OriginRefused } from './cors.js';
import { errorResponse } from './error-response.js';
import { cacheHeaders, etagOf, matchesEtag } from './etag.js';
import { entryOf, fragmentsOf, keep, type DecisionEntry } from './fragments.js';
import type { EdgeResponse } from './handshake.js';
import { decodeOfrepBody, type OfrepContext } from './ofrep-body.js';
import { ofrepToken } from './token.js';
import { consistencyAsk, freshnessFor, freshnessHeaders, freshnessJson, settledFreshness, type ConsistencyReads } from './consistency.js';
import type { Freshness } from '../../services/consistency.js';

// OFREP's evaluationFailure allows only these codes; others are reported as GENERAL.
const OFREP_CODES = new Set(['PARSE_ERROR', 'TARGETING_KEY_MISSING', 'INVALID_CONTEXT', 'GENERAL']);
const INVALID_CONTEXT = { errorCode: 'INVALID_CONTEXT', errorDetails: 'Provider context is not valid' };
const JSON_TYPE = 'application/json; charset=utf-8';

type Failure = { key: string; errorCode: string; errorDetails: string; metadata?: Readonly<Record<string, JsonValue>> };
type Success = { key: string; reason: string; variant?: string; value?: unknown; metadata: Readonly<Record<string, JsonValue>> };

/** flagd's errorDetails (core/pkg/service/ofrep/models.go#EvaluationErrorResponseFrom). */
function flagdDetails(code: string, key: string): string {
  if (code === 'FLAG_NOT_FOUND') return `flag \`${key}\` does not exist`;
  if (code === 'PARSE_ERROR') return `error parsing the flag \`${key}\``;
  return 'error processing the flag for evaluation';
}

/**
 * One decision in OFREP's shape. A success carries key, reason, variant and value (each
 * omitted when there is none: a disabled flag or a flagd flag without default variant, so the
 * provider uses the code default) and metadata; an error carries key, errorCode and errorDetails.
 * - flagd-format flags (their decisions carry `metadata`) answer as flagd's OFREP service
 *   does: metadata is the flag set's overlaid by the flag's, on errors too, exactly (no
 *   Switchboard field is added to it); an empty variant name is omitted; errorDetails are flagd's.
 * - native flags and configs: metadata `{version, rule_id?}`, errorDetails our message.
 */
export function toOfrep(d: Decision): Success | Failure {
  const flagd = d.metadata !== undefined;
  if (d.reason === 'ERROR') {
    const code = d.error_code === 'FLAG_NOT_FOUND' ? 'FLAG_NOT_FOUND' : OFREP_CODES.has(d.error_code ?? '') ? d.error_code! : 'GENERAL';
    if (flagd) return { key: d.key, errorCode: code, errorDetails: flagdDetails(code, d.key), metadata: d.metadata };
    return { key: d.key, errorCode: code, errorDetails: d.error_message ?? d.error_code ?? 'evaluation failed' };
  }
  let metadata: Readonly<Record<string, JsonValue>>;
  if (flagd) metadata = d.metadata!;
  else metadata = d.rule_id ? { version: d.version, rule_id: d.rule_id } : { version: d.version };
  const out: Success = { key: d.key, reason: d.reason, metadata };
  if (d.variant !== null && (d.variant !== '' || !flagd)) out.variant = d.variant;
  if (d.value !== null && d.reason !== 'DISABLED') out.value = d.value;
  return out;
}

/**
 * The metadata of a bulk answer (flagd: the flag set's, models.go#BulkEvaluationResponse):
 * the flag-set metadata every flagd-format flag of the project shares, else `{}`. Once per
 * snapshot (cached with its fragments).
 */
function bulkMetadata(snapshot: ProjectSnapshot): Readonly<Record<string, JsonValue>> {
  let shared: Readonly<Record<string, JsonValue>> | null = null;
  for (const def of snapshot.core.flags) {
    if (def.format !== 'flagd' || def.flagSetMetadata === null) continue;
    if (shared !== null && !isDeepStrictEqual({ ...shared }, { ...def.flagSetMetadata })) return {};
    shared = def.flagSetMetadata;
  }
  return shared ?? {};
}

const json = (status: number, body: object, headers: Record<string, string> = {}): EdgeResponse => ({
  status,
  headers: { 'Content-Type': JSON_TYPE, ...headers },
  body: JSON.stringify(body),
});

/** Any thrown error in OFREP's shape: a 400 carries INVALID_CONTEXT; Retry-After is kept. */
export function ofrepError(err: unknown, log?: Pick<Logger, 'error'>): EdgeResponse {
  const e = errorResponse(err, log);
  const message = (JSON.parse(e.body) as { error: { message: string } }).error.message;
  const body = JSON.stringify(e.status === 400 ? { errorCode: 'INVALID_CONTEXT', errorDetails: message } : { errorDetails: message });
  return { status: e.status, headers: e.headers, body, ...(err instanceof OriginRefused ? { noCors: true } : {}) };
}

export interface OfrepDeps {
  decide: DecideService;
  directory: ProjectDirectory;
  /** read-your-writes: `?min_token=` or the Switchboard-Consistency-Token header (edge/consistency.ts) */
  reads?: ConsistencyReads;
  /**
   * Path of the OFREP change stream (`/ofrep/v1/stream`, routes/stream.ts) to advertise in bulk
   * answers as `eventStreams` (OFREP ADR-0008); absent: not advertised (providers poll).
   */
  eventStreamPath?: string;
}

/** Seconds a backgrounded client keeps the change stream open (OFREP ADR-0008 `inactivityDelaySec`). */
export const OFREP_STREAM_INACTIVITY_S = 120;

/**
 * The bulk answer's `eventStreams` (OFREP ADR-0008, as @openfeature/ofrep-core 2.x reads it):
 * one SSE stream at `path` on the provider's own origin (`endpoint` without `origin`), the
 * project token in the query because EventSource cannot send headers.
 */
export const eventStreamsOf = (path: string, token: string): string =>
  JSON.stringify([{ type: 'sse', endpoint: { requestUri: `${path}?token=${encodeURIComponent(token)}` }, inactivityDelaySec: OFREP_STREAM_INACTIVITY_S }]);

/** One OFREP request: `key` for a single evaluation (decoded from the path), absent for bulk. */
export interface OfrepRequest {
  key?: string;
  headers: IncomingHttpHeaders;
  /** the raw body, UTF-8 */
  body: string;
  /** the request target, for `?min_token=` and `?wait=` */
  url?: string;
}

type Evaluated = { result: DecideAllResult; snapshot: ProjectSnapshot; degraded?: boolean; unavailableCohorts?: readonly string[] };

/** Evaluates `only` (or everything) for the context: identified when targetingKey is a distinct_id. */
function evaluate(deps: OfrepDeps, projectId: number, context: OfrepContext, only?: string[]): Promise<Evaluated> {
  const { targetingKey, ...rest } = context;
  if (typeof targetingKey === 'string' && targetingKey !== '' && targetingKey.length <= 200 && !isPlaceholderId(targetingKey)) {
    return deps.decide.decide({ projectId, distinctId: targetingKey, context: rest, only });
  }
  const keyless = Object.hasOwn(context, 'targetingKey') ? (targetingKey as JsonValue) : undefined;
  return deps.decide.decideKeyless({ projectId, targetingKey: keyless, context: rest, only });
}

/**
 * The bulk answer `{ flags: [...], eventStreams?, metadata }` from the snapshot's fragments, with
 * an ETag over the decisions' compact forms (as the handshake's) and the `eventStreams` text, so
 * a client holding an answer without (or with other) streams gets the new body, not a 304: a 304
 * is answered without rendering.
 */
function bulkResponse(result: DecideAllResult, snapshot: ProjectSnapshot, ifNoneMatch: string | undefined, f: Freshness | null, eventStreams: string | null): EdgeResponse {
  // Entries of the snapshot's caches (edge/fragments.ts): no compact string built per decision.
  const cache = fragmentsOf(snapshot);
  const decisions: Decision[] = [];
  const entries: DecisionEntry[] = [];
  // Behind its consistency token: an ETag of its own, and never a 304 (as the handshake's).
  let s = f?.behind ? 'BO' : 'O';
  // The ETag input: each decision's digest (edge/fragments.ts), as the handshake's.
  for (const k in result.flags) {
    const e = entryOf(cache, 'flags', result.flags[k]);
    decisions.push(result.flags[k]);
    entries.push(e);
    s += e.digest;
  }
  for (const k in result.configs) {
    if (k in result.flags) continue;
    const e = entryOf(cache, 'configs', result.configs[k]);
    decisions.push(result.configs[k]);
    entries.push(e);
    s += e.digest;
  }
  if (eventStreams !== null) s += `\u0000${eventStreams}`;
  const etag = etagOf(s);
  const extra = f ? freshnessHeaders(f) : undefined;
  if (!f?.behind && matchesEtag(ifNoneMatch, etag)) return { status: 304, headers: { ...cacheHeaders(etag), ...extra } };
  let out = '{"flags":[';
  for (let i = 0; i < decisions.length; i++) {
    const d = decisions[i];
    const e = entries[i];
    let f: string;
    if (d.error_message !== undefined) f = JSON.stringify(toOfrep(d));
    else {
      if (e.ofrep === undefined) e.ofrep = JSON.stringify(toOfrep(d));
      f = e.ofrep;
    }
    out += (i ? ',' : '') + f;
  }
  const metadata = cache.blocks.get('ofrep-metadata') ?? keep(cache.blocks, 'ofrep-metadata', JSON.stringify(bulkMetadata(snapshot)));
  out += `]${eventStreams === null ? '' : `,"eventStreams":${eventStreams}`},"metadata":${metadata}${f ? `,${freshnessJson(f)}` : ''}}`;
  return { status: 200, headers: { ...cacheHeaders(etag), 'Content-Type': JSON_TYPE, ...extra }, body: out };
}

/** Answers one OFREP evaluation request (never throws: every error is an OFREP-shaped answer). */
export async function answerOfrep(deps: OfrepDeps, req: OfrepRequest, log?: Pick<Logger, 'error'>): Promise<EdgeResponse> {
  try {
    const token = ofrepToken(req.headers);
    const project = token ? await deps.directory.byToken(token).catch(() => null) : null;
    if (!project) return json(401, { errorDetails: 'missing or invalid project token (Authorization: Bearer <token>)' });
    checkOrigin(project, req.headers);
    const context = decodeOfrepBody(req.body);
    // Read-your-writes: a token in the query or header; a bad one is a 400 (INVALID_CONTEXT) naming it.
    const ask = deps.reads ? consistencyAsk(project.id, req.headers, req.url, undefined, deps.reads) : null;
    if (req.key === undefined) {
      if (context === null) return json(400, INVALID_CONTEXT);
      const waited = ask ? await freshnessFor(deps.reads, ask) : null;
      const e = await evaluate(deps, project.id, context);
      const ifNoneMatch = req.headers['if-none-match'];
      const streams = deps.eventStreamPath ? eventStreamsOf(deps.eventStreamPath, token!) : null;
      return bulkResponse(e.result, e.snapshot, typeof ifNoneMatch === 'string' ? ifNoneMatch : undefined, waited && settledFreshness(waited, e), streams);
    }
    const key = req.key;
    if (context === null) return json(400, { key, ...INVALID_CONTEXT });
    const waited = ask ? await freshnessFor(deps.reads, ask) : null;
    const e = await evaluate(deps, project.id, context, [key]);
    const f = waited && settledFreshness(waited, e);
    const d = e.result.flags[key] ?? e.result.configs[key];
    if (!d) return json(404, { key, errorCode: 'FLAG_NOT_FOUND', errorDetails: flagdDetails('FLAG_NOT_FOUND', key) });
    const headers: Record<string, string> = d.metadata !== undefined ? { 'Switchboard-Definition-Version': String(d.version) } : {};
    if (f) Object.assign(headers, freshnessHeaders(f));
    const r = toOfrep(d);
    if ('errorCode' in r) return json(r.errorCode === 'FLAG_NOT_FOUND' ? 404 : 400, r, headers);
    return json(200, f ? { ...r, freshness: { behind: f.behind, token: f.reached } } : r, headers);
  } catch (err) {
    return ofrepError(err, log);
  }
}
