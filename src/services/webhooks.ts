/**
 * Webhooks (PRODUCT.md 9; docs/webhooks.md): endpoints per project subscribed to event types,
 * a transactional outbox (events written in the change's own transaction, through the audit
 * log every change already writes), and a dispatcher that delivers at least once, signed as
 * the Standard Webhooks spec says (https://www.standardwebhooks.com, "Signature scheme":
 * HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${body}` with the base64-decoded
 * secret after `whsec_`, sent as `v1,<base64>`). This file: signing, the outbox and the admin
 * service; the dispatcher (delivery, retries, disabling) is webhook-dispatcher.ts.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AuditInput } from '../domain/audit.js';
import { WEBHOOK_EVENT_TYPES, type OutboxEvent, type WebhookDelivery, type WebhookEndpoint, type WebhookEventType } from '../domain/webhook.js';
import { AppError, invalid, notFound } from '../errors.js';
import type { AuditStore } from '../ports/audit-store.js';
import type { Db } from '../ports/db.js';
import type { WebhookSender, WebhookStore } from '../ports/webhook-store.js';

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes. */
export const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/** A new message id (`webhook-id`). */
export const newMessageId = (): string => `msg_${randomUUID().replaceAll('-', '')}`;

/**
 * The `webhook-signature` value for one message (Standard Webhooks): `v1,` + base64 of
 * HMAC-SHA256(key = base64-decoded secret without `whsec_`, `${id}.${timestampS}.${body}`).
 */
export function signature(secret: string, id: string, timestampS: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampS}.${body}`).digest('base64')}`;
}

/** The three Standard Webhooks headers of one attempt (`webhook-timestamp` in unix seconds). */
export function signedHeaders(secret: string, id: string, nowMs: number, body: string): Record<string, string> {
  const ts = Math.floor(nowMs / 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature(secret, id, ts, body) };
}

/** The body every attempt of a message sends: `{ type, timestamp, data }` (Standard Webhooks payload shape). */
export const messageBody = (type: string, createdAtMs: number, data: Record<string, unknown>): string =>
  JSON.stringify({ type, timestamp: new Date(createdAtMs).toISOString(), data });

const LIFECYCLE = new Set(['pause', 'resume', 'archive', 'restore']);

/**
 * The webhook event an audit entry describes, or null (audit entries of other kinds). Flags,
 * configs and surveys: `<kind>.changed` with the action and versions; a cohort's lifecycle
 * action: `cohort.state_changed`; a GDPR erasure: `person.deleted` (the person id only).
 */
export function eventOfAudit(entry: AuditInput): { type: WebhookEventType; data: Record<string, unknown> } | null {
  const before = entry.before as Record<string, unknown> | undefined;
  const after = entry.after as Record<string, unknown> | undefined;
  const kind = entry.entityKind;
  if (kind === 'flag' || kind === 'config' || kind === 'survey') {
    return {
      type: `${kind}.changed`,
      data: { key: entry.entityKey, action: entry.action, actor: entry.actor, version: after?.version ?? null, previous_version: before?.version ?? null, before: before ?? null, after: after ?? null },
    };
  }
  if (kind === 'cohort' && LIFECYCLE.has(entry.action) && before?.state !== undefined) {
    return { type: 'cohort.state_changed', data: { key: entry.entityKey, action: entry.action, actor: entry.actor, from: before.state, to: after?.state ?? null } };
  }
  if (kind === 'person' && entry.action === 'delete') return { type: 'person.deleted', data: { person_id: Number(entry.entityKey), actor: entry.actor } };
  return null;
}

/**
 * The audit store with the outbox written beside it: each entry that describes a webhook
 * event also enqueues that event with the same `db`, so it commits or rolls back with the
 * change (a rolled-back change delivers nothing).
 */
export function withOutbox(audit: AuditStore, outbox: Pick<WebhookStore, 'enqueue'>): AuditStore {
  return {
    list: (projectId, opts) => audit.list(projectId, opts),
    async write(entry: AuditInput, db?: Db): Promise<void> {
      await audit.write(entry, db);
      const ev = entry.projectId === null ? null : eventOfAudit(entry);
      if (ev && entry.projectId !== null) await outbox.enqueue({ id: newMessageId(), projectId: entry.projectId, type: ev.type, payload: ev.data }, db);
    },
  };
}

/** An endpoint as the admin API shows it; the secret only when asked for (create, rotate). */
export function endpointView(e: WebhookEndpoint, withSecret = false) {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    event_types: e.eventTypes,
    enabled: e.enabled,
    disabled_reason: e.disabledReason,
    consecutive_failures: e.consecutiveFailures,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
    ...(withSecret ? { secret: e.secret } : {}),
  };
}

export const deliveryView = (d: WebhookDelivery) => ({
  id: d.id,
  webhook_id: d.eventId,
  type: d.type,
  state: d.state,
  attempts: d.attempts,
  next_attempt_at: d.nextAttemptAt,
  last_status: d.lastStatus,
  last_error: d.lastError,
  created_at: d.createdAt,
  delivered_at: d.deliveredAt,
  log: d.log.map((a) => ({ attempt: a.attempt, status: a.status, error: a.error, latency_ms: a.latencyMs, at: a.at })),
});

const eventTypes = z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length);
const createBody = z.object({ url: z.string().min(1).max(2000), description: z.string().max(500).optional(), event_types: eventTypes }).strict();
const updateBody = z.object({ url: z.string().min(1).max(2000).optional(), description: z.string().max(500).optional(), event_types: eventTypes.optional(), enabled: z.boolean().optional() }).strict();

function parsed<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue.path.join('.') || '(body)';
  throw invalid(`${path}: ${issue.message}`, { issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
}

export interface WebhookAdminDeps {
  store: WebhookStore;
  sender: Pick<WebhookSender, 'refusal'>;
  audit: AuditStore;
}

/** The admin API's use cases: endpoints, the delivery log, manual redelivery, secret rotation. */
export function createWebhookAdmin(deps: WebhookAdminDeps) {
  const { store } = deps;
  async function checkUrl(url: string): Promise<void> {
    const why = await deps.sender.refusal(url);
    if (why) throw new AppError('invalid_request', why, { issues: [{ path: 'url', message: why.replace(/^url: /, '') }] });
  }
  async function existing(projectId: number, id: number): Promise<WebhookEndpoint> {
    const e = await store.getEndpoint(projectId, id);
    if (!e) throw notFound(`webhook endpoint ${id} not found`);
    return e;
  }
  const audit = (projectId: number, actor: string, action: string, e: WebhookEndpoint, before?: WebhookEndpoint) =>
    deps.audit.write({ projectId, actor, action, entityKind: 'webhook_endpoint', entityKey: String(e.id), before: before ? endpointView(before) : undefined, after: endpointView(e) });

  return {
    async create(projectId: number, actor: string, body: unknown) {
      const b = parsed(createBody, body);
      await checkUrl(b.url);
      const e = await store.createEndpoint(projectId, { url: b.url, description: b.description ?? '', eventTypes: [...new Set(b.event_types)], secret: newSecret() });
      await audit(projectId, actor, 'create', e);
      return endpointView(e, true);
    },
    list: async (projectId: number) => (await store.listEndpoints(projectId)).map((e) => endpointView(e)),
    get: async (projectId: number, id: number) => endpointView(await existing(projectId, id)),
    async update(projectId: number, actor: string, id: number, body: unknown) {
      const b = parsed(updateBody, body);
      const before = await existing(projectId, id);
      if (b.url !== undefined) await checkUrl(b.url);
      const e = await store.updateEndpoint(projectId, id, { url: b.url, description: b.description, eventTypes: b.event_types ? [...new Set(b.event_types)] : undefined, enabled: b.enabled });
      if (!e) throw notFound(`webhook endpoint ${id} not found`);
      await audit(projectId, actor, 'update', e, before);
      return endpointView(e);
    },
    async rotateSecret(projectId: number, actor: string, id: number) {
      await existing(projectId, id);
      const e = (await store.updateEndpoint(projectId, id, { secret: newSecret() }))!;
      await audit(projectId, actor, 'rotate', e);
      return endpointView(e, true);
    },
    async remove(projectId: number, actor: string, id: number) {
      const e = await existing(projectId, id);
      await store.deleteEndpoint(projectId, id);
      await deps.audit.write({ projectId, actor, action: 'delete', entityKind: 'webhook_endpoint', entityKey: String(id), before: endpointView(e) });
    },
    async deliveries(projectId: number, id: number, page: { beforeId?: number; limit: number }) {
      await existing(projectId, id);
      return (await store.deliveries(projectId, id, page)).map(deliveryView);
    },
    async redeliver(projectId: number, deliveryId: number) {
      if (!(await store.redeliver(projectId, deliveryId))) throw notFound(`webhook delivery ${deliveryId} not found`);
    },
  };
}

export type WebhookAdmin = ReturnType<typeof createWebhookAdmin>;


/** Event payload builders for changes that are not audited in a transaction (cohort refreshes). */
export const outboxEvent = (projectId: number, type: WebhookEventType, payload: Record<string, unknown>): OutboxEvent => ({ id: newMessageId(), projectId, type, payload });
