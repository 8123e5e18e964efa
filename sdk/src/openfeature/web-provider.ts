/**
 * An OpenFeature provider for `@openfeature/web-sdk` on the Switchboard client: flags and
 * configs from the one handshake (synchronous lookups), a new `targetingKey` is an
 * `identify` (alias once, continuity), a context without one after a user is a `reset`
 * (logout), `client.track()` goes to `/v1/events`, and the client's state becomes provider
 * events (READY, STALE, ERROR, CONFIGURATION_CHANGED). Other context attributes are not
 * sent: profile data goes through `provider.client.people`.
 */
import { OpenFeatureEventEmitter, ProviderEvents, type EvaluationContext, type JsonValue, type Provider, type ResolutionDetails, type TrackingEventDetails } from '@openfeature/web-sdk';
import { createClient, type SwitchboardClient } from '../client.js';
import type { ClientOptions } from '../types.js';
import { resolveWith, trackingProperties } from './resolve.js';

export class SwitchboardWebProvider implements Provider {
  readonly metadata = { name: 'switchboard' } as const;
  readonly runsOn = 'client' as const;
  readonly events = new OpenFeatureEventEmitter();
  /** The client underneath (people, surveys, stats). */
  readonly client: SwitchboardClient;
  private started = false;

  constructor(token: string | SwitchboardClient, options?: ClientOptions) {
    this.client = typeof token === 'string' ? createClient(token, options) : token;
    this.client.onChange((flagsChanged) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged }));
    this.client.onStatus((s) => {
      if (!this.started) return;
      if (s === 'stale') this.events.emit(ProviderEvents.Stale, { message: this.client.stats().lastError?.message });
      else if (s === 'error') this.events.emit(ProviderEvents.Error, { message: this.client.stats().lastError?.message });
      else if (s === 'ready') this.events.emit(ProviderEvents.Ready);
    });
  }

  async initialize(context?: EvaluationContext): Promise<void> {
    await this.apply({}, context ?? {});
    await this.client.ready();
    this.started = true;
    const s = this.client.status();
    if (s === 'error' || s === 'loading') throw new Error(`no decisions yet: ${this.client.stats().lastError?.message ?? 'timed out'}`);
    if (s === 'stale') setTimeout(() => this.client.status() === 'stale' && this.events.emit(ProviderEvents.Stale), 0);
  }

  onContextChange(oldContext: EvaluationContext, newContext: EvaluationContext): Promise<void> {
    return this.apply(oldContext, newContext);
  }

  private async apply(oldContext: EvaluationContext, context: EvaluationContext): Promise<void> {
    const key = context.targetingKey;
    if (typeof key === 'string' && key !== '') {
      if (key !== this.client.distinctId() && key !== this.client.anonymousId()) await this.client.identify(key);
    } else if (typeof oldContext.targetingKey === 'string' && oldContext.targetingKey !== this.client.anonymousId()) {
      await this.client.reset();
    }
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): ResolutionDetails<boolean> {
    return resolveWith(this.client, flagKey, defaultValue, 'boolean');
  }
  resolveStringEvaluation(flagKey: string, defaultValue: string): ResolutionDetails<string> {
    return resolveWith(this.client, flagKey, defaultValue, 'string');
  }
  resolveNumberEvaluation(flagKey: string, defaultValue: number): ResolutionDetails<number> {
    return resolveWith(this.client, flagKey, defaultValue, 'number');
  }
  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
    return resolveWith(this.client, flagKey, defaultValue, 'object');
  }

  track(trackingEventName: string, _context: EvaluationContext, details?: TrackingEventDetails): void {
    this.client.track(trackingEventName, trackingProperties(details));
  }

  onClose(): Promise<void> {
    return this.client.close();
  }
}
