import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import { parse } from '../validate.js';
import { invalid } from '../../errors.js';
import type { WhoFlips } from '../../services/who-flips.js';

const previewQuery = z.object({
  sample: z.coerce.number().int().min(1).max(5_000).default(1_000),
  examples: z.coerce.number().int().min(0).max(200).default(20),
});

const BOOKKEEPING = ['key', 'version', 'created_at', 'updated_at'];

/**
 * `POST /v1/projects/:project/{flags,configs}/:key/preview?sample=1000&examples=20` (admin
 * key): the body is the document a PUT (or a create, for a new key) would send. Answers 200
 * with the FlipPreview of src/services/who-flips.ts: how many of the sampled persons would
 * change variant or value, transitions and examples with before/after. Nothing is saved.
 * 400 names the field (a body the save would refuse, bad `sample`/`examples`).
 */
export function definitionPreviewRoutes(deps: { whoFlips: WhoFlips }): RouteModule {
  return (app, auth) => {
    for (const [kind, plural] of [['flag', 'flags'], ['config', 'configs']] as const) {
      app.post(`/v1/projects/:project/${plural}/:key/preview`, jsonBody('1mb'), auth.requireAdminProject, async (req, res) => {
        const q = parse(previewQuery, req.query, 'query');
        const body: unknown = req.body;
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body: must be a JSON object (the definition)');
        const key = String(req.params.key);
        const bodyKey = (body as { key?: unknown }).key;
        if (bodyKey !== undefined && bodyKey !== key) throw invalid(`key: must match the path (${JSON.stringify(key)})`);
        const doc = Object.fromEntries(Object.entries(body).filter(([k]) => !BOOKKEEPING.includes(k)));
        res.json(await deps.whoFlips.preview(kind, req.adminProject!.id, key, doc, q));
      });
    }
  };
}
