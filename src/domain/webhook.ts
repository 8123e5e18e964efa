/**
 * Webhooks (PRODUCT.md 9; docs/webhooks.md): the event types an endpoint subscribes to, and
 * the shapes the admin API and the delivery log show.
 */

/** Every event type an endpoint may subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  'flag.changed',
  'config.changed',
  'survey.changed',
  'cohort.state_changed',
  'cohort.refreshed',
  'cohort.members_changed',
  'person.deleted',
  'webhook.endpoint_disabled',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** A registered endpoint. `secret` is `whsec_` + base64 (Standard Webhooks). Times are ISO 8601. */
export interface WebhookEndpoint {
  id: number;
  projectId: number;
  url: string;
  description: string;
  eventTypes: WebhookEventType[];
  secret: string;
  enabled: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  createdAt: string;
  updatedAt: string;
}

/** One event written to the outbox: `id` is the `webhook-id` every attempt carries. */
export interface OutboxEvent {
  id: string;
  projectId: number;
  type: WebhookEventType;
  payload: Record<string, unknown>;
}

/** One attempt of a delivery (the delivery log). `status` is null when no HTTP answer came. */
export interface WebhookAttempt {
  attempt: number;
  status: number | null;
  error: string | null;
  latencyMs: number;
  at: string;
}

/** A delivery of one event to one endpoint, with its attempts (oldest first). */
export interface WebhookDelivery {
  id: number;
  eventId: string;
  endpointId: number;
  type: WebhookEventType;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  log: WebhookAttempt[];
}

/** A delivery due for an attempt, with what sending it needs. `eventCreatedAt` is unix ms. */
export interface DueDelivery {
  id: number;
  eventId: string;
  endpointId: number;
  projectId: number;
  attempts: number;
  url: string;
  secret: string;
  type: WebhookEventType;
  payload: Record<string, unknown>;
  eventCreatedAt: number;
}
