import { isDeepStrictEqual } from 'node:util';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { RouteModule } from '../app.js';
import type { DecideAllResult, Decision, JsonValue } from '../../core/index.js';
import type { DecideService } from '../../services/decide.js';
import type { ProjectDirectory } from '../../services/project-directory.js';
import type { ProjectSnapshot } from '../../services/snapshots.js';
import { isPlaceholderId } from '../distinct-id.js';
import { etaggedJson } from '../edge/handshake.js';
import { send } from '../edge/send.js';
import { ofrepToken } from '../edge/token.js';
import type { Project } from '../../domain/project.js';
import { decodeOfrepBody, type OfrepContext } from './ofrep-body.js';

// OFREP's evaluationFailure allows only these codes; others are reported as GENERAL.
const OFREP_CODES = new Set(['PARSE_ERROR', 'TARGETING_KEY_MISSING', 'INVALID_CONTEXT', 'GENERAL']);
const INVALID_CONTEXT = { errorCode: 'INVALID_CONTEXT', errorDetails: 'Provider context is not valid' };

type Failure = { key: string; errorCode: string; errorDetails: string; metadata?: Readonly<Record<string, JsonValue>> };
type Success = { key: string; reason: string; variant?: string; value?: unknown; metadata: Readonly<Record<string, JsonValue>> };

/** flagd's errorDetails (core/pkg/service/ofrep/models.go#EvaluationErrorResponseFrom). */
function flagdDetails(code: string, key: string): string {
  if (code === 'FLAG_NOT_FOUND') return `flag \`${key}\` does not exist`;
  if (code === 'PARSE_ERROR') return `error parsing the flag \`${key}\``;
  return 'error processing the flag for evaluation';
}

/**
 * One decision in OFREP's shape (OpenFeature Remote Evaluation Protocol, service/openapi.yaml).
 * A success carries key, reason, variant and value (each omitted when there is none: a
 * disabled flag or a flagd flag without default variant, so the provider uses the code
 * default) and metadata; an error carries key, errorCode and errorDetails.
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
 * the flag-set metadata every flagd-format flag of the project shares, else `{}`.
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

/** OFREP errors use their own body shape, not ours. */
const fail = (res: Response, status: number, body: object) => res.status(status).json(body);

/**
 * OFREP endpoints: `POST /ofrep/v1/evaluate/flags/{key}` and `POST /ofrep/v1/evaluate/flags`
 * (bulk, with ETag / If-None-Match), plus `GET /ofrep/v1/configuration`. Configs answer too,
 * under their key, when no flag has it (remote config through OpenFeature object flags).
 *
 * The body is read as flagd's OFREP service reads it (ofrep-body.ts): an empty body, `null`
 * or a non-object `context` evaluate with an empty context; a body that is not one JSON
 * object is 400 INVALID_CONTEXT. `targetingKey` is the distinct_id when it is one (a string
 * of 1-200 characters, not a placeholder); the rest of the context overlays the person's
 * properties. Otherwise (absent, `""`, a number, an object, ...) the request is keyless: it
 * is never refused, nobody is looked up, and flagd-format flags see `targetingKey` exactly
 * as sent (services/decide.ts#decideKeyless). For a single flagd-format flag, the
 * definition's version is sent in the `Switchboard-Definition-Version` header (its OFREP
 * metadata is flagd's, untouched).
 */
export function ofrepRoutes(deps: { decide: DecideService; directory: ProjectDirectory; rateLimit: RequestHandler }): RouteModule {
  const authenticate = async (req: Request, res: Response): Promise<Project | null> => {
    const token = ofrepToken(req.headers);
    const project = token ? await deps.directory.byToken(token).catch(() => null) : null;
    if (!project) fail(res, 401, { errorDetails: 'missing or invalid project token (Authorization: Bearer <token>)' });
    return project;
  };

  /** Evaluates `only` (or everything) for the context: identified when targetingKey is a distinct_id. */
  const decide = async (projectId: number, context: OfrepContext, only?: string[]): Promise<{ result: DecideAllResult; snapshot: ProjectSnapshot }> => {
    const { targetingKey, ...rest } = context;
    if (typeof targetingKey === 'string' && targetingKey !== '' && targetingKey.length <= 200 && !isPlaceholderId(targetingKey)) {
      return deps.decide.decide({ projectId, distinctId: targetingKey, context: rest, only });
    }
    const keyless = Object.hasOwn(context, 'targetingKey') ? (targetingKey as JsonValue) : undefined;
    return deps.decide.decideKeyless({ projectId, targetingKey: keyless, context: rest, only });
  };

  return (app) => {
    // Raw bytes: the body is decoded as flagd decodes it, whatever its Content-Type.
    const body = express.raw({ limit: '256kb', inflate: true, type: () => true });
    const contextOf = (req: Request): OfrepContext | null => decodeOfrepBody(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');

    app.post('/ofrep/v1/evaluate/flags/:key', body, deps.rateLimit, async (req, res) => {
      const project = await authenticate(req, res);
      if (!project) return;
      const key = String(req.params.key);
      const context = contextOf(req);
      if (context === null) return fail(res, 400, { key, ...INVALID_CONTEXT });
      const { result } = await decide(project.id, context, [key]);
      const d = result.flags[key] ?? result.configs[key];
      if (!d) return fail(res, 404, { key, errorCode: 'FLAG_NOT_FOUND', errorDetails: flagdDetails('FLAG_NOT_FOUND', key) });
      if (d.metadata !== undefined) res.setHeader('Switchboard-Definition-Version', String(d.version));
      const r = toOfrep(d);
      if ('errorCode' in r) return fail(res, r.errorCode === 'FLAG_NOT_FOUND' ? 404 : 400, r);
      res.json(r);
    });

    app.post('/ofrep/v1/evaluate/flags', body, deps.rateLimit, async (req, res) => {
      const project = await authenticate(req, res);
      if (!project) return;
      const context = contextOf(req);
      if (context === null) return fail(res, 400, INVALID_CONTEXT);
      const { result, snapshot } = await decide(project.id, context);
      const flags = [...Object.values(result.flags), ...Object.values(result.configs).filter((c) => !(c.key in result.flags))].map(toOfrep);
      send(res, etaggedJson({ flags, metadata: bulkMetadata(snapshot) }, req.headers['if-none-match']));
    });

    app.get('/ofrep/v1/configuration', (_req, res) => {
      res.json({
        name: 'switchboard',
        capabilities: {
          cacheInvalidation: { polling: { enabled: true, minPollingIntervalMs: 1000 } },
          flagEvaluation: { supportedTypes: ['int', 'float', 'string', 'boolean', 'object'] },
        },
      });
    });
  };
}
