/**
 * An OpenFeature provider for `@openfeature/server-sdk` on the Switchboard client. Server
 * contexts change per request, so it keeps one client per (`targetingKey`, `anonymousId`)
 * in a bounded LRU (memory storage; an evicted client is flushed and closed). A context
 * with `anonymousId` next to `targetingKey` is a login: that client identifies from the
 * anonymous id (alias once, `anon_id` on the handshake), so variants carry over. Tracking
 * goes to `/v1/events` as the context's `targetingKey`.
 */
import { OpenFeatureEventEmitter, ProviderEvents, type EvaluationContext, type JsonValue, type Provider, type ResolutionDetails, type TrackingEventDetails } from '@openfeature/server-sdk';
import { createClient, type SwitchboardClient } from '../client.js';
import { memoryStorage } from '../storage.js';
import type { ClientOptions } from '../types.js';
import { resolveWith, trackingProperties } from './resolve.js';

export interface ServerProviderOptions extends ClientOptions {
  /** Most per-user clients kept; default 1000. */
  maxClients?: number;
}

interface Entry {
  client: SwitchboardClient;
  ready: Promise<void>;
}

export class SwitchboardServerProvider implements Provider {
  readonly metadata = { name: 'switchboard-server' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private readonly clients = new Map<string, Entry>();

  constructor(
    private readonly token: string,
    private readonly options: ServerProviderOptions = {},
  ) {}

  /** The client for a context (created on first use), or null without a targetingKey. */
  clientFor(context: EvaluationContext): Entry | null {
    const key = context.targetingKey;
    if (typeof key !== 'string' || key === '') return null;
    const anon = typeof context.anonymousId === 'string' && context.anonymousId !== '' ? context.anonymousId : undefined;
    const id = `${key}\u0000${anon ?? ''}`;
    let e = this.clients.get(id);
    if (e) {
      this.clients.delete(id);
      this.clients.set(id, e);
      return e;
    }
    const client = createClient(this.token, { refreshIntervalMs: 60_000, ...this.options, storage: memoryStorage(), anonymousId: anon ?? key, distinctId: undefined });
    client.onChange((flagsChanged) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged }));
    client.onStatus((s) => s === 'error' && this.events.emit(ProviderEvents.Error, { message: client.stats().lastError?.message }));
    e = { client, ready: anon && anon !== key ? client.identify(key) : client.ready() };
    this.clients.set(id, e);
    const max = this.options.maxClients ?? 1000;
    for (const [oldest, old] of this.clients) {
      if (this.clients.size <= max) break;
      this.clients.delete(oldest);
      void old.client.close();
    }
    return e;
  }

  private async resolve<T extends boolean | string | number | JsonValue>(key: string, dflt: T, ctx: EvaluationContext, type: 'boolean' | 'string' | 'number' | 'object'): Promise<ResolutionDetails<T>> {
    const e = this.clientFor(ctx);
    if (e) await e.ready;
    return resolveWith(e?.client ?? null, key, dflt, type);
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext) {
    return this.resolve(flagKey, defaultValue, context, 'boolean');
  }
  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext) {
    return this.resolve(flagKey, defaultValue, context, 'string');
  }
  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext) {
    return this.resolve(flagKey, defaultValue, context, 'number');
  }
  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext) {
    return this.resolve(flagKey, defaultValue, context, 'object');
  }

  track(trackingEventName: string, context: EvaluationContext, details?: TrackingEventDetails): void {
    this.clientFor(context)?.client.track(trackingEventName, trackingProperties(details));
  }

  /** Flushes every client's queue (e.g. before a test reads the server). */
  async flush(): Promise<void> {
    await Promise.all([...this.clients.values()].map((e) => e.client.flush()));
  }

  async onClose(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((e) => e.client.close()));
  }
}
