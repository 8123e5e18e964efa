import type { DueDelivery, OutboxEvent, WebhookDelivery, WebhookEndpoint, WebhookEventType } from '../domain/webhook.js';
import type { Db } from './db.js';

export interface EndpointInput {
  url: string;
  description: string;
  eventTypes: WebhookEventType[];
  secret: string;
}

/** What an attempt ended in: delivered, due again at `nextAttemptAt` (unix ms), or given up. */
export type AttemptOutcome = { state: 'delivered' } | { state: 'pending'; nextAttemptAt: number } | { state: 'failed' };

/** Webhook endpoints, the transactional outbox and the delivery log (PostgreSQL). */
export interface WebhookStore {
  createEndpoint(projectId: number, e: EndpointInput): Promise<WebhookEndpoint>;
  listEndpoints(projectId: number): Promise<WebhookEndpoint[]>;
  getEndpoint(projectId: number, id: number): Promise<WebhookEndpoint | null>;
  /** changes the given fields; enabling resets the failure count and the disabled reason */
  updateEndpoint(projectId: number, id: number, patch: Partial<Pick<WebhookEndpoint, 'url' | 'description' | 'eventTypes' | 'enabled' | 'secret'>>): Promise<WebhookEndpoint | null>;
  deleteEndpoint(projectId: number, id: number): Promise<boolean>;
  /**
   * Writes an event and one pending delivery per enabled endpoint of the project subscribed to
   * its type; pass the change's transaction so a rollback leaves nothing. Returns deliveries made.
   */
  enqueue(event: OutboxEvent, db?: Db): Promise<number>;
  /** Pending deliveries due now of enabled endpoints, held for `holdMs` (SKIP LOCKED: several dispatchers share the work). */
  claimDue(limit: number, holdMs: number): Promise<DueDelivery[]>;
  /** Logs one attempt and moves the delivery on (releases the hold). */
  recordAttempt(deliveryId: number, attempt: { attempt: number; status: number | null; error: string | null; latencyMs: number }, outcome: AttemptOutcome): Promise<void>;
  /** Counts a failed attempt against the endpoint (or resets the count on success); returns the count. */
  endpointResult(endpointId: number, ok: boolean): Promise<number>;
  /** Disables an enabled endpoint; returns it, or null when it was already disabled. */
  disableEndpoint(endpointId: number, reason: string): Promise<WebhookEndpoint | null>;
  /** Deliveries of an endpoint, newest first (keyset by id), each with its attempts. */
  deliveries(projectId: number, endpointId: number, page: { beforeId?: number; limit: number }): Promise<WebhookDelivery[]>;
  /** Makes a delivery pending and due now (manual redelivery); false when not found. */
  redeliver(projectId: number, deliveryId: number): Promise<boolean>;
}

/** Sends a signed webhook over HTTP and guards against server-side request forgery. */
export interface WebhookSender {
  /** why `url` may not be used (loopback, private or unresolvable host, bad scheme), or null */
  refusal(url: string): Promise<string | null>;
  /** POSTs `body`; resolves with the status, or with an error when no answer came (never rejects) */
  send(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number | null; error: string | null }>;
}
