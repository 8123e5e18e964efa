/**
 * The real Switchboard service for SDK tests, behind one small seam (the only file that
 * touches test/helpers): its own database and Redis prefix, listening on 127.0.0.1, one
 * project, admin calls over HTTP, and a read of the stored events.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestContext, type TestContext } from '../../../test/helpers/context.js';

export interface Service {
  url: string;
  token: string;
  projectId: number;
  /** POST/PUT/PATCH/DELETE under /v1/projects/:id with the admin key; throws on a status >= 300. */
  admin(method: string, path: string, body?: unknown): Promise<unknown>;
  /** Events stored for the project, oldest first. */
  events(where?: { event?: string }): Promise<Array<{ event: string; distinct_id: string; insert_id: string; properties: Record<string, unknown> }>>;
  /** A second project's token (for tests that need a clean slate). */
  newToken(): Promise<{ token: string; projectId: number }>;
  close(): Promise<void>;
}

export async function startService(env: Record<string, string> = {}, opts: { tier?: 'pro' | 'enterprise' } = {}): Promise<Service> {
  const ctx: TestContext = await createTestContext(env);
  const server = http.createServer(ctx.app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const p = await ctx.newProject('sdk', opts.tier ?? 'pro');
  return {
    url,
    token: p.token,
    projectId: p.id,
    async admin(method, path, body) {
      const res = await fetch(`${url}/v1/projects/${p.id}${path}`, {
        method,
        headers: { ...ctx.admin, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
    async events(where = {}) {
      const { rows } = await ctx.pool.query(
        `SELECT event, distinct_id, insert_id, properties FROM events WHERE project_id = $1 AND ($2::text IS NULL OR event = $2) ORDER BY id`,
        [p.id, where.event ?? null],
      );
      return rows;
    },
    async newToken() {
      const q = await ctx.newProject('sdk-extra');
      return { token: q.token, projectId: q.id };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await ctx.cleanup();
    },
  };
}
