/**
 * A client's decision as OpenFeature resolution details, shared by both providers: the
 * server's reason and variant pass through; a missing, broken or mistyped decision answers
 * the caller's default with an OpenFeature error code, never a throw.
 */
import type { ErrorCode, FlagValueType, JsonValue, ResolutionDetails } from '@openfeature/core';
import type { SwitchboardClient } from '../client.js';

const code = (c: string) => c as unknown as ErrorCode;

export function resolveWith<T extends boolean | string | number | JsonValue>(client: SwitchboardClient | null, key: string, dflt: T, type: FlagValueType): ResolutionDetails<T> {
  if (!client) return { value: dflt, reason: 'ERROR', errorCode: code('TARGETING_KEY_MISSING'), errorMessage: 'the context has no targetingKey' };
  const d = client.getDecision(key);
  const flagMetadata: Record<string, string | number> = {};
  if (typeof d.version === 'number') flagMetadata.version = d.version;
  if (typeof d.rule_id === 'string') flagMetadata.rule_id = d.rule_id;
  if (d.reason === 'ERROR') return { value: dflt, reason: 'ERROR', errorCode: code(d.error_code ?? 'GENERAL'), errorMessage: d.error_message ?? `${key}: ${d.error_code ?? 'error'}`, flagMetadata };
  // a disabled flag without a value (flagd format) serves the code default (OFREP ADR 0006)
  if (d.value === null) return { value: dflt, reason: d.reason, flagMetadata };
  const actual = Array.isArray(d.value) ? 'object' : typeof d.value;
  if (actual !== type) return { value: dflt, reason: 'ERROR', errorCode: code('TYPE_MISMATCH'), errorMessage: `${key} is a ${actual}, not a ${type}`, flagMetadata };
  return { value: d.value as T, variant: d.variant ?? undefined, reason: d.reason, flagMetadata };
}

/** OpenFeature tracking details as event properties (`value` kept as is). */
export const trackingProperties = (details: unknown): Record<string, unknown> | undefined =>
  details && typeof details === 'object' && !Array.isArray(details) ? { ...(details as Record<string, unknown>) } : undefined;
