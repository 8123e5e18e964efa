import type { DueDelivery, WebhookDelivery, WebhookEndpoint, WebhookEventType } from '../../domain/webhook.js';
import type { Db } from '../../ports/db.js';
import type { WebhookStore } from '../../ports/webhook-store.js';
import { asDb, sql } from './db.js';
import type { Pool } from './pool.js';

interface EndpointRow {
  id: string;
  project_id: string;
  url: string;
  description: string;
  event_types: string[];
  secret: string;
  enabled: boolean;
  disabled_reason: string | null;
  consecutive_failures: number;
  created_at: Date;
  updated_at: Date;
}

const endpointOf = (r: EndpointRow): WebhookEndpoint => ({
  id: Number(r.id),
  projectId: Number(r.project_id),
  url: r.url,
  description: r.description,
  eventTypes: r.event_types as WebhookEventType[],
  secret: r.secret,
  enabled: r.enabled,
  disabledReason: r.disabled_reason,
  consecutiveFailures: r.consecutive_failures,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const ENDPOINT_COLUMNS = 'id, project_id, url, description, event_types, secret, enabled, disabled_reason, consecutive_failures, created_at, updated_at';
const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** WebhookStore over PostgreSQL (migrations/007_live.sql). */
export function createWebhookStore(pool: Pool): WebhookStore {
  return {
    async createEndpoint(projectId, e) {
      const { rows } = await pool.query<EndpointRow>(
        `INSERT INTO webhook_endpoints (project_id, url, description, event_types, secret) VALUES ($1, $2, $3, $4, $5) RETURNING ${ENDPOINT_COLUMNS}`,
        [projectId, e.url, e.description, e.eventTypes, e.secret],
      );
      return endpointOf(rows[0]);
    },
    async listEndpoints(projectId) {
      const { rows } = await pool.query<EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE project_id = $1 ORDER BY id`, [projectId]);
      return rows.map(endpointOf);
    },
    async getEndpoint(projectId, id) {
      const { rows } = await pool.query<EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE project_id = $1 AND id = $2`, [projectId, id]);
      return rows[0] ? endpointOf(rows[0]) : null;
    },
    async updateEndpoint(projectId, id, patch) {
      const { rows } = await pool.query<EndpointRow>(
        `UPDATE webhook_endpoints SET
            url = COALESCE($3, url), description = COALESCE($4, description), event_types = COALESCE($5, event_types),
            secret = COALESCE($7, secret),
            enabled = COALESCE($6, enabled),
            disabled_reason = CASE WHEN $6 IS TRUE THEN NULL ELSE disabled_reason END,
            consecutive_failures = CASE WHEN $6 IS TRUE THEN 0 ELSE consecutive_failures END,
            updated_at = now()
          WHERE project_id = $1 AND id = $2 RETURNING ${ENDPOINT_COLUMNS}`,
        [projectId, id, patch.url ?? null, patch.description ?? null, patch.eventTypes ?? null, patch.enabled ?? null, patch.secret ?? null],
      );
      return rows[0] ? endpointOf(rows[0]) : null;
    },
    async deleteEndpoint(projectId, id) {
      const r = await pool.query('DELETE FROM webhook_endpoints WHERE project_id = $1 AND id = $2', [projectId, id]);
      return (r.rowCount ?? 0) > 0;
    },

    async enqueue(event, db: Db = asDb(pool)) {
      // One statement: the event row and a delivery per subscribed endpoint, or nothing at all
      // when no endpoint listens (no outbox rows nobody will read).
      const r = await sql(db).query<{ n: string }>(
        `WITH targets AS (
           SELECT id FROM webhook_endpoints WHERE project_id = $2 AND enabled AND $3 = ANY(event_types)
         ), ev AS (
           INSERT INTO webhook_events (id, project_id, type, payload)
           SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM targets)
           RETURNING id
         ), d AS (
           INSERT INTO webhook_deliveries (event_id, endpoint_id, project_id) SELECT ev.id, targets.id, $2 FROM ev, targets RETURNING 1
         )
         SELECT count(*)::text AS n FROM d`,
        [event.id, event.projectId, event.type, JSON.stringify(event.payload)],
      );
      return Number(r.rows[0]?.n ?? 0);
    },

    async claimDue(limit, holdMs) {
      const { rows } = await pool.query<{
        id: string; event_id: string; endpoint_id: string; project_id: string; attempts: number; url: string; secret: string; type: string; payload: Record<string, unknown>; event_created_at: Date;
      }>(
        `WITH due AS (
           SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
            WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND e.enabled
              AND (d.locked_until IS NULL OR d.locked_until < now())
            ORDER BY d.next_attempt_at
            LIMIT $1
            FOR UPDATE OF d SKIP LOCKED
         )
         UPDATE webhook_deliveries d SET locked_until = now() + make_interval(secs => $2::double precision / 1000)
           FROM due, webhook_events ev, webhook_endpoints e
          WHERE d.id = due.id AND ev.id = d.event_id AND e.id = d.endpoint_id
         RETURNING d.id, d.event_id, d.endpoint_id, e.project_id, d.attempts, e.url, e.secret, ev.type, ev.payload, ev.created_at AS event_created_at`,
        [limit, holdMs],
      );
      return rows.map((r): DueDelivery => ({
        id: Number(r.id), eventId: r.event_id, endpointId: Number(r.endpoint_id), projectId: Number(r.project_id), attempts: r.attempts, url: r.url, secret: r.secret,
        type: r.type as WebhookEventType, payload: r.payload, eventCreatedAt: r.event_created_at.getTime(),
      }));
    },

    async recordAttempt(deliveryId, a, outcome) {
      await pool.query(
        `WITH log AS (
           INSERT INTO webhook_attempts (delivery_id, project_id, attempt, status, error, latency_ms)
           SELECT $1, project_id, $2, $3, $4, $5 FROM webhook_deliveries WHERE id = $1
         )
         UPDATE webhook_deliveries SET attempts = $2, last_status = $3, last_error = $4, state = $6, locked_until = NULL,
                next_attempt_at = COALESCE(to_timestamp($7::double precision / 1000), next_attempt_at),
                delivered_at = CASE WHEN $6 = 'delivered' THEN now() ELSE delivered_at END
          WHERE id = $1`,
        [deliveryId, a.attempt, a.status, a.error, Math.round(a.latencyMs), outcome.state, outcome.state === 'pending' ? outcome.nextAttemptAt : null],
      );
    },

    async endpointResult(endpointId, ok) {
      const { rows } = await pool.query<{ n: number }>(
        `UPDATE webhook_endpoints SET consecutive_failures = CASE WHEN $2 THEN 0 ELSE consecutive_failures + 1 END WHERE id = $1 RETURNING consecutive_failures AS n`,
        [endpointId, ok],
      );
      return rows[0]?.n ?? 0;
    },

    async disableEndpoint(endpointId, reason) {
      const { rows } = await pool.query<EndpointRow>(
        `UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now() WHERE id = $1 AND enabled RETURNING ${ENDPOINT_COLUMNS}`,
        [endpointId, reason],
      );
      return rows[0] ? endpointOf(rows[0]) : null;
    },

    async deliveries(projectId, endpointId, page) {
      const { rows } = await pool.query<{
        id: string; event_id: string; endpoint_id: string; type: string; state: WebhookDelivery['state']; attempts: number; next_attempt_at: Date; last_status: number | null;
        last_error: string | null; created_at: Date; delivered_at: Date | null; log: Array<{ attempt: number; status: number | null; error: string | null; latency_ms: number; at: string }> | null;
      }>(
        `SELECT d.id, d.event_id, d.endpoint_id, ev.type, d.state, d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.delivered_at,
                (SELECT json_agg(json_build_object('attempt', a.attempt, 'status', a.status, 'error', a.error, 'latency_ms', a.latency_ms, 'at', a.at) ORDER BY a.id)
                   FROM webhook_attempts a WHERE a.delivery_id = d.id) AS log
           FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id JOIN webhook_endpoints e ON e.id = d.endpoint_id
          WHERE e.project_id = $1 AND d.endpoint_id = $2 AND ($3::bigint IS NULL OR d.id < $3)
          ORDER BY d.id DESC LIMIT $4`,
        [projectId, endpointId, page.beforeId ?? null, page.limit],
      );
      return rows.map((r) => ({
        id: Number(r.id), eventId: r.event_id, endpointId: Number(r.endpoint_id), type: r.type as WebhookEventType, state: r.state, attempts: r.attempts,
        nextAttemptAt: r.state === 'pending' ? iso(r.next_attempt_at) : null, lastStatus: r.last_status, lastError: r.last_error, createdAt: r.created_at.toISOString(), deliveredAt: iso(r.delivered_at),
        log: (r.log ?? []).map((a) => ({ attempt: a.attempt, status: a.status, error: a.error, latencyMs: a.latency_ms, at: new Date(a.at).toISOString() })),
      }));
    },

    async redeliver(projectId, deliveryId) {
      const r = await pool.query(
        `UPDATE webhook_deliveries d SET state = 'pending', next_attempt_at = now(), locked_until = NULL
           FROM webhook_endpoints e WHERE d.id = $2 AND e.id = d.endpoint_id AND e.project_id = $1`,
        [projectId, deliveryId],
      );
      return (r.rowCount ?? 0) > 0;
    },
  };
}
