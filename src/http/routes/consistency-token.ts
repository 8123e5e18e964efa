import type { Response } from 'express';
import type { Consistency } from '../../services/consistency.js';
import { TOKEN_HEADER } from '../edge/consistency.js';

/** What the write routes need of read-your-writes (services/consistency.ts). */
export type WriteTracker = Pick<Consistency, 'track'>;

/**
 * Runs a feed write under a consistency token (docs/read-your-writes.md) and sets the
 * `Switchboard-Consistency-Token` header; the route puts the token in its body as
 * `consistency_token` (null when Redis could not hand one out, or tokens are not wired).
 */
export async function tracked<T>(tracker: WriteTracker | undefined, projectId: number, res: Response, write: () => Promise<T>): Promise<{ result: T; token: string | null }> {
  if (!tracker) return { result: await write(), token: null };
  const out = await tracker.track(projectId, write);
  if (out.token) res.setHeader(TOKEN_HEADER, out.token);
  return out;
}
