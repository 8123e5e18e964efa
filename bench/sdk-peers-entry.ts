/**
 * Browser entry of bench/sdk-decision.ts: the four SDKs on one page, each given the same
 * 50 boolean flags locally (Switchboard: a real handshake as bootstrap; LaunchDarkly and
 * PostHog: their bootstrap option; GrowthBook: features with a default value), timing their
 * "is this flag on?" call in a loop. Network goes to a dead loopback port only.
 */
import { GrowthBook } from '@growthbook/growthbook';
import { initialize } from 'launchdarkly-js-client-sdk';
import { posthog } from 'posthog-js';
import { createClient, type Handshake } from '../sdk/src/index.js';

type Check = (key: string) => boolean;

function time(keys: string[], n: number, fn: Check): { ns_per_call: number; on: number } {
  let on = 0;
  for (let i = 0; i < 20_000; i++) on += fn(keys[i % keys.length]) ? 1 : 0; // warm-up
  on = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) on += fn(keys[i % keys.length]) ? 1 : 0;
  return { ns_per_call: Math.round(((performance.now() - t0) * 1e7) / n) / 10, on };
}

(window as unknown as Record<string, unknown>).runIsEnabled = async (handshake: Handshake, deadHost: string, n: number) => {
  const keys = Object.keys(handshake.flags).filter((k) => typeof handshake.flags[k].value === 'boolean');
  const values = Object.fromEntries(keys.map((k) => [k, handshake.flags[k].value === true]));
  const sb = createClient('sbp_bench', { host: deadHost, bootstrap: handshake, refreshIntervalMs: 0, flushOnPageHide: false });
  const ld = initialize('bench-env', { kind: 'user', key: 'user-00001' }, { bootstrap: values, baseUrl: deadHost, eventsUrl: deadHost, streamUrl: deadHost, sendEvents: false, diagnosticOptOut: true, fetchGoals: false, streaming: false });
  await Promise.race([ld.waitUntilReady(), new Promise((r) => setTimeout(r, 2000))]);
  posthog.init('phc_bench', { api_host: deadHost, bootstrap: { distinctID: 'user-00001', featureFlags: values }, autocapture: false, capture_pageview: false, disable_session_recording: true, persistence: 'memory', advanced_disable_feature_flags_on_first_load: true });
  const gb = new GrowthBook({ features: Object.fromEntries(keys.map((k) => [k, { defaultValue: values[k] }])), attributes: { id: 'user-00001' } });
  return {
    flags: keys.length,
    calls: n,
    switchboard: time(keys, n, (k) => sb.isEnabled(k, false)),
    'launchdarkly-js-client-sdk': time(keys, n, (k) => ld.variation(k, false) === true),
    'posthog-js': time(keys, n, (k) => posthog.isFeatureEnabled(k) === true),
    '@growthbook/growthbook': time(keys, n, (k) => gb.isOn(k)),
  };
};
