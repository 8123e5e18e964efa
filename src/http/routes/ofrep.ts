import type { Request, RequestHandler, Response } from 'express';
import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import type { Decision } from '../../core/index.js';
import type { DecideService } from '../../services/decide.js';
import type { ProjectDirectory } from '../../services/project-directory.js';
import { isPlaceholderId } from '../distinct-id.js';
import { etaggedJson } from '../edge/handshake.js';
import { send } from '../edge/send.js';
import { ofrepToken } from '../edge/token.js';
import type { Project } from '../../domain/project.js';

// OFREP's evaluationFailure allows only these codes; others are reported as GENERAL.
const OFREP_CODES = new Set(['PARSE_ERROR', 'TARGETING_KEY_MISSING', 'INVALID_CONTEXT', 'GENERAL']);

type Failure = { key: string; errorCode: string; errorDetails: string };
type Success = { key: string; reason: string; variant?: string; value?: unknown; metadata: Record<string, string | number | boolean> };

/**
 * One decision in OFREP's shape (OpenFeature Remote Evaluation Protocol, service/openapi.yaml):
 * a success carries key, reason, variant, metadata and a value — omitted when there is none
 * (a disabled flag: the provider then uses the code default, ADR 0006); an error carries
 * key, errorCode and errorDetails.
 */
export function toOfrep(d: Decision): Success | Failure {
  if (d.reason === 'ERROR') {
    const code = d.error_code === 'FLAG_NOT_FOUND' ? 'FLAG_NOT_FOUND' : OFREP_CODES.has(d.error_code ?? '') ? d.error_code! : 'GENERAL';
    return { key: d.key, errorCode: code, errorDetails: d.error_message ?? d.error_code ?? 'evaluation failed' };
  }
  const metadata: Record<string, string | number | boolean> = { version: d.version };
  if (d.rule_id) metadata.rule_id = d.rule_id;
  const out: Success = { key: d.key, reason: d.reason, metadata };
  if (d.variant !== null) out.variant = d.variant;
  if (d.value !== null && d.reason !== 'DISABLED') out.value = d.value;
  return out;
}

/** OFREP errors use their own body shape, not ours. */
const fail = (res: Response, status: number, body: object) => res.status(status).json(body);

/**
 * OFREP endpoints: `POST /ofrep/v1/evaluate/flags/{key}` and `POST /ofrep/v1/evaluate/flags`
 * (bulk, with ETag / If-None-Match), plus `GET /ofrep/v1/configuration`. `targetingKey` is the
 * distinct_id; the rest of the context overlays the person's properties. Configs answer too,
 * under their key, when no flag has it (remote config through OpenFeature object flags).
 */
export function ofrepRoutes(deps: { decide: DecideService; directory: ProjectDirectory; rateLimit: RequestHandler }): RouteModule {
  const authenticate = async (req: Request, res: Response): Promise<Project | null> => {
    const token = ofrepToken(req.headers);
    const project = token ? await deps.directory.byToken(token).catch(() => null) : null;
    if (!project) fail(res, 401, { errorDetails: 'missing or invalid project token (Authorization: Bearer <token>)' });
    return project;
  };

  const contextOf = (req: Request): { ok: true; distinctId: string; rest: Record<string, unknown> } | { ok: false; code: string; details: string } => {
    const body = req.body as { context?: unknown } | undefined;
    const context = body?.context;
    if (context !== undefined && (typeof context !== 'object' || context === null || Array.isArray(context))) {
      return { ok: false, code: 'INVALID_CONTEXT', details: 'context must be a JSON object' };
    }
    const { targetingKey, ...rest } = (context ?? {}) as Record<string, unknown>;
    if (targetingKey === undefined || targetingKey === '') return { ok: false, code: 'TARGETING_KEY_MISSING', details: 'context.targetingKey is required (the distinct_id)' };
    if (typeof targetingKey !== 'string' || targetingKey.length > 200 || isPlaceholderId(targetingKey)) {
      return { ok: false, code: 'INVALID_CONTEXT', details: 'context.targetingKey must be a distinct_id: 1-200 characters, not a placeholder' };
    }
    return { ok: true, distinctId: targetingKey, rest };
  };

  return (app) => {
    const body = jsonBody('256kb');
    app.post('/ofrep/v1/evaluate/flags/:key', body, deps.rateLimit, async (req, res) => {
      const project = await authenticate(req, res);
      if (!project) return;
      const key = String(req.params.key);
      const ctx = contextOf(req);
      if (!ctx.ok) return fail(res, 400, { key, errorCode: ctx.code, errorDetails: ctx.details });
      const outcome = await deps.decide.decide({ projectId: project.id, distinctId: ctx.distinctId, context: ctx.rest, only: [key] });
      const d = outcome.result.flags[key] ?? outcome.result.configs[key];
      if (!d) return fail(res, 404, { key, errorCode: 'FLAG_NOT_FOUND', errorDetails: `flag ${JSON.stringify(key)} not found` });
      const r = toOfrep(d);
      if ('errorCode' in r) return fail(res, 400, r);
      res.json(r);
    });

    app.post('/ofrep/v1/evaluate/flags', body, deps.rateLimit, async (req, res) => {
      const project = await authenticate(req, res);
      if (!project) return;
      const ctx = contextOf(req);
      if (!ctx.ok) return fail(res, 400, { errorCode: ctx.code, errorDetails: ctx.details });
      const outcome = await deps.decide.decide({ projectId: project.id, distinctId: ctx.distinctId, context: ctx.rest });
      const flags = [...Object.values(outcome.result.flags), ...Object.values(outcome.result.configs).filter((c) => !(c.key in outcome.result.flags))].map(toOfrep);
      send(res, etaggedJson({ flags }, req.headers['if-none-match']));
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
