import { createHash } from 'node:crypto';
import type { Response } from 'express';
import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import { parse } from '../validate.js';
import { AppError } from '../../errors.js';
import type { DecideOutcome, DecideService } from '../../services/decide.js';
import { distinctIdSchema } from '../distinct-id.js';

const decideBody = z
  .object({
    token: z.string().optional(),
    distinct_id: distinctIdSchema,
    anon_id: distinctIdSchema.nullish(),
    person_properties: z.record(z.unknown()).optional(),
    context: z.record(z.unknown()).optional(),
    only: z.array(z.string().min(1).max(200)).max(1000).optional(),
    explain: z.boolean().optional(),
  })
  .strict();

/** The snapshot part of a handshake: definitions version and each read cohort's state. */
export function snapshotBody(o: DecideOutcome) {
  const cohorts: Record<string, { state: string; version: number; as_of: string | null }> = {};
  for (const c of o.snapshot.readCohorts) {
    cohorts[c.key] = { state: c.state, version: c.version, as_of: c.asOf === null ? null : new Date(c.asOf).toISOString() };
  }
  return { version: o.snapshot.version, cohorts, degraded: o.degraded };
}

/**
 * Sends `payload` as JSON with a strong ETag over everything but `generated_at`; answers 304
 * when If-None-Match matches. Serializes once and splices generated_at in.
 */
export function sendWithEtag(res: Response, ifNoneMatch: string | undefined, payload: object, generatedAt?: string): void {
  const json = JSON.stringify(payload);
  const etag = `"${createHash('sha1').update(json).digest('base64url')}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', 'private, no-cache');
  if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
    res.status(304).end();
    return;
  }
  const body = generatedAt === undefined ? json : `${json.slice(0, -1)},"generated_at":${JSON.stringify(generatedAt)}}`;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.send(body);
}

/** `POST /v1/decide`: the handshake (PRODUCT.md 8.1). */
export function decideRoutes(deps: { decide: DecideService; rateLimit: import('express').RequestHandler }): RouteModule {
  return (app, auth) => {
    app.post('/v1/decide', jsonBody('256kb'), deps.rateLimit, auth.requireProjectToken, async (req, res) => {
      const body = parse(decideBody, req.body, 'body');
      if (body.explain) {
        throw new AppError('forbidden', 'explain needs an admin key: use GET /v1/projects/:project/persons/:distinct_id?explain=1');
      }
      const outcome = await deps.decide.decide({
        projectId: req.project!.id,
        distinctId: body.distinct_id,
        anonId: body.anon_id ?? null,
        personProperties: body.person_properties,
        context: body.context,
        only: body.only,
      });
      const r = outcome.result;
      res.setHeader('Server-Timing', `gather;dur=${outcome.timing.gatherMs.toFixed(2)}, evaluate;dur=${outcome.timing.evaluateMs.toFixed(2)}`);
      sendWithEtag(res, req.headers['if-none-match'], { flags: r.flags, configs: r.configs, surveys: r.surveys, snapshot: snapshotBody(outcome) }, new Date().toISOString());
    });
  };
}
