/**
 * The webhook outbox dispatcher (docs/webhooks.md): delivers every outbox event at least once,
 * signed as webhooks.ts signs it (Standard Webhooks), retrying with exponential backoff for a
 * window (24 h), logging every attempt, and disabling an endpoint after repeated failures.
 */
import type { Logger } from 'pino';
import type { DueDelivery } from '../domain/webhook.js';
import type { WebhookSender, WebhookStore } from '../ports/webhook-store.js';
import { messageBody, newMessageId, signedHeaders } from './webhooks.js';

export interface DispatcherDeps {
  store: WebhookStore;
  sender: Pick<WebhookSender, 'send'>;
  logger: Logger;
  now?: () => number;
  /** first retry delay, ms; doubled per attempt (default 5 s) */
  retryBaseMs?: number;
  /** longest retry delay, ms (default 1 h) */
  retryMaxMs?: number;
  /** how long after the event retries go on, ms (default 24 h) */
  retryWindowMs?: number;
  /** failed attempts in a row after which an endpoint is disabled (default 30) */
  disableAfter?: number;
  /** ms one attempt may take (default 10 s) */
  timeoutMs?: number;
  /** ms between polls of the outbox (default 1 s) */
  pollMs?: number;
  /** deliveries attempted at once (default 16) */
  concurrency?: number;
  onAttempt?: (ok: boolean) => void;
}

/**
 * The retry delay after `attempts` failed attempts: base * 2^(attempts-1), capped, with ±20 %
 * jitter (so a recovering receiver is not hit by every retry at once).
 */
export function retryDelay(attempts: number, baseMs: number, maxMs: number, random = Math.random): number {
  const d = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(d * (0.8 + 0.4 * random()));
}

/**
 * The outbox dispatcher: claims due deliveries (held for the attempt's timeout plus a margin,
 * so a crashed process's deliveries are retried by the next one), sends each signed, logs the
 * attempt and schedules the next one. At least once: a receiver dedups by `webhook-id`.
 */
export function createWebhookDispatcher(deps: DispatcherDeps) {
  const now = deps.now ?? Date.now;
  const base = deps.retryBaseMs ?? 5_000;
  const max = deps.retryMaxMs ?? 3_600_000;
  const windowMs = deps.retryWindowMs ?? 86_400_000;
  const disableAfter = deps.disableAfter ?? 30;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const concurrency = deps.concurrency ?? 16;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let stopped = false;

  async function attempt(d: DueDelivery): Promise<void> {
    const body = messageBody(d.type, d.eventCreatedAt, d.payload);
    const started = performance.now();
    const r = await deps.sender.send(d.url, signedHeaders(d.secret, d.eventId, now(), body), body, timeoutMs);
    const latencyMs = performance.now() - started;
    const ok = r.status !== null && r.status >= 200 && r.status < 300;
    const n = d.attempts + 1;
    const error = ok ? null : (r.error ?? `HTTP ${r.status}`);
    let outcome: Parameters<WebhookStore['recordAttempt']>[2];
    if (ok) outcome = { state: 'delivered' };
    else {
      const next = now() + retryDelay(n, base, max);
      outcome = next - d.eventCreatedAt > windowMs ? { state: 'failed' } : { state: 'pending', nextAttemptAt: next };
    }
    await deps.store.recordAttempt(d.id, { attempt: n, status: r.status, error, latencyMs }, outcome);
    deps.onAttempt?.(ok);
    const failures = await deps.store.endpointResult(d.endpointId, ok);
    if (!ok && failures >= disableAfter) {
      const disabled = await deps.store.disableEndpoint(d.endpointId, `${failures} failed attempts in a row (last: ${error})`);
      if (disabled) {
        deps.logger.warn({ endpoint: d.endpointId, project: d.projectId }, 'webhook endpoint disabled after repeated failures');
        await deps.store.enqueue({
          id: newMessageId(), projectId: d.projectId, type: 'webhook.endpoint_disabled',
          payload: { endpoint_id: d.endpointId, url: disabled.url, reason: disabled.disabledReason, consecutive_failures: failures },
        });
      }
    }
  }

  /** One pass: attempts every due delivery (in rounds of `concurrency`); returns how many. */
  async function tick(): Promise<number> {
    let total = 0;
    for (;;) {
      const due = await deps.store.claimDue(concurrency, 2 * timeoutMs + 1_000);
      if (due.length === 0) return total;
      await Promise.all(due.map((d) => attempt(d).catch((err) => deps.logger.warn({ err, delivery: d.id }, 'webhook attempt bookkeeping failed'))));
      total += due.length;
      if (stopped) return total;
    }
  }

  /** Runs a tick unless one is running (then waits for it). */
  function drain(): Promise<number> {
    running ??= tick().finally(() => {
      running = null;
    });
    return running;
  }

  return {
    tick: drain,
    start() {
      stopped = false;
      const loop = () => {
        timer = setTimeout(() => {
          drain()
            .catch((err) => deps.logger.warn({ err: (err as Error).message }, 'webhook dispatch failed'))
            .finally(() => {
              if (!stopped) loop();
            });
        }, deps.pollMs ?? 1_000);
        timer.unref();
      };
      loop();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running?.catch(() => {});
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
