import { describe, expect, it } from 'vitest';
import decideCases from '../../cases/decide.json' with { type: 'json' };
import {
  compileOrBroken,
  createSnapshot,
  decideFlag,
  evaluate,
  expectType,
  withReason,
  type CohortStatus,
  type Decision,
  type DecisionInput,
  type DefinitionKind,
  type ExpectedType,
  type SurveyDecision,
} from '../../../src/core/index.js';

const DEFAULT_NOW = 1_700_000_000_000;

/** A case's input as written in JSON: sets as arrays, maps as objects. */
interface CaseInput {
  distinctId: string;
  bucketingKey?: string;
  properties?: unknown;
  cohorts?: string[];
  cohortStatus?: Record<string, CohortStatus>;
  now?: number;
  surveyHistory?: { answered?: string[]; lastShownAt?: number | null; responses?: Record<string, number> };
}

interface DecideCase {
  name: string;
  kind?: DefinitionKind;
  definition: unknown;
  input: CaseInput;
  key?: string;
  expect_type?: ExpectedType;
  with_reason?: 'STALE' | 'CACHED' | 'UNKNOWN';
  expected: Record<string, unknown>;
}

function toInput(raw: CaseInput): DecisionInput {
  return {
    distinctId: raw.distinctId,
    bucketingKey: raw.bucketingKey ?? raw.distinctId,
    properties: (raw.properties ?? {}) as Record<string, unknown>,
    cohorts: new Set(raw.cohorts ?? []),
    cohortStatus: new Map(Object.entries(raw.cohortStatus ?? {})),
    now: raw.now ?? DEFAULT_NOW,
    surveyHistory:
      raw.surveyHistory === undefined
        ? undefined
        : {
            answered: new Set(raw.surveyHistory.answered ?? []),
            lastShownAt: raw.surveyHistory.lastShownAt ?? null,
            responses: new Map(Object.entries(raw.surveyHistory.responses ?? {})),
          },
  };
}

/** Runs one case the way a service would: compile (broken definitions included), then decide. */
function run(c: DecideCase): Decision | SurveyDecision {
  const kind = c.kind ?? 'flag';
  const input = toInput(c.input);
  if (c.key !== undefined) {
    const snapshot = c.definition === null ? null : createSnapshot([compileOrBroken(kind, c.definition)]);
    return decideFlag(snapshot, c.key, input);
  }
  let decision = evaluate(compileOrBroken(kind, c.definition), input);
  if (kind !== 'survey') {
    if (c.expect_type !== undefined) decision = expectType(decision as Decision, c.expect_type);
    if (c.with_reason !== undefined) decision = withReason(decision as Decision, c.with_reason);
  }
  return decision;
}

const cases = decideCases.cases as DecideCase[];

describe('decision cases (test/cases/decide.json)', () => {
  it.each(cases)('$name', (c) => {
    const decision = run(c) as unknown as Record<string, unknown>;
    const picked: Record<string, unknown> = {};
    for (const field of Object.keys(c.expected)) picked[field] = decision[field];
    expect(picked).toEqual(c.expected);
    // Fields the case does not expect must be absent (no stray rule_id or error_code).
    for (const field of ['rule_id', 'error_code', 'ineligible_because']) {
      if (!(field in c.expected)) expect(decision[field], field).toBeUndefined();
    }
    if (decision.reason === 'ERROR') expect(typeof decision.error_message).toBe('string');
  });

  it('cover every reason and error code', () => {
    const reasons = new Set(cases.map((c) => c.expected.reason));
    for (const r of ['STATIC', 'DEFAULT', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'ERROR', 'STALE', 'CACHED', 'UNKNOWN']) {
      expect(reasons, r).toContain(r);
    }
    const codes = new Set(cases.map((c) => c.expected.error_code));
    for (const code of ['PROVIDER_NOT_READY', 'FLAG_NOT_FOUND', 'PARSE_ERROR', 'TYPE_MISMATCH', 'TARGETING_KEY_MISSING', 'INVALID_CONTEXT', 'GENERAL']) {
      expect(codes, code).toContain(code);
    }
  });
});
