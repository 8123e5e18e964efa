/**
 * The flagd conformance corpus (test/cases/flagd/*.json) as typed data, plus the comparison
 * both runners share. A case holds a flagd flag (`flag`) or a whole flagd document
 * (`document`: flags, $evaluators, flag-set metadata), the key to evaluate, the context as an
 * OFREP client sends it, and what flagd's Go evaluator answers (docs/flagd-semantics.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';

export const CORPUS_DIR = new URL('../cases/flagd/', import.meta.url);

/** What flagd answers; `value`/`variant` null mean "absent" (code default, disabled). */
export interface Expected {
  value?: unknown;
  variant?: string | null;
  reason?: string;
  errorCode?: string;
  metadata?: Record<string, unknown>;
  /** flagd refuses the whole document when loading it. */
  loadError?: string;
}

/** The HTTP answer an OFREP case expects (bodies are matched field by field). */
export interface OfrepExpectation {
  request?: { raw: string };
  status: number;
  body: Record<string, unknown>;
  absent?: string[];
}

export interface FlagdDocument {
  flags: Record<string, Record<string, unknown>>;
  $evaluators?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export interface FlagdCase {
  name: string;
  flag?: Record<string, unknown>;
  document?: FlagdDocument;
  flagKey: string;
  /** the key asked for, when it is not the flag's (FLAG_NOT_FOUND cases) */
  requestKey?: string;
  /** the OFREP `context`; absent = the body has no context */
  context?: unknown;
  expected: Expected;
  source: string;
  confidence?: 'low' | 'medium';
  note?: string;
  ofrep?: OfrepExpectation;
  /** the case is about the HTTP request itself and has no meaning for the core */
  ofrepOnly?: boolean;
  /** bulk evaluation (POST /ofrep/v1/evaluate/flags) */
  bulk?: boolean;
  absentMetadataKeys?: string[];
  hash?: { input: string; murmur3: number; totalWeight: number; bucket: number };
}

export interface CorpusFile {
  file: string;
  description: string;
  cases: FlagdCase[];
}

/** Every corpus file, in name order. */
export function loadCorpus(): CorpusFile[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const data = JSON.parse(readFileSync(new URL(file, CORPUS_DIR), 'utf8')) as { description: string; cases: FlagdCase[] };
      return { file, description: data.description, cases: data.cases };
    });
}

/** A stable id for baselines: `<file>#<case name>`. */
export const caseId = (file: string, c: FlagdCase): string => `${file}#${c.name}`;

/** The case as a flagd document (a single `flag` becomes a one-flag document). */
export function documentOf(c: FlagdCase): FlagdDocument {
  return c.document ?? { flags: { [c.flagKey]: c.flag ?? {} } };
}

/**
 * The definitions Switchboard is given for a document: one flagd-format flag per key with the
 * document's `$evaluators`, and the document's metadata as `flagSetMetadata` (the field the
 * flagd schema stores flag-set metadata in: docs/decisions.md section 6).
 */
export function definitionsOf(c: FlagdCase): Record<string, unknown>[] {
  const doc = documentOf(c);
  return Object.entries(doc.flags).map(([key, flag]) => {
    const def: Record<string, unknown> = { key, ...flag };
    if (doc.$evaluators !== undefined) def.$evaluators = doc.$evaluators;
    if (doc.metadata !== undefined) def.flagSetMetadata = doc.metadata;
    return def;
  });
}

/** An answer normalised for comparison: what a decision or an OFREP body says. */
export interface Answer {
  value: unknown;
  variant: string | null;
  reason: string;
  errorCode?: string;
  metadata?: Record<string, unknown>;
}

/** Why `answer` differs from `expected`, or null when they agree. */
export function disagreement(expected: Expected, answer: Answer): string | null {
  if (expected.reason === 'ERROR') {
    if (answer.reason !== 'ERROR' || answer.errorCode !== expected.errorCode) {
      return `expected ERROR/${expected.errorCode}, got ${answer.reason}${answer.errorCode ? '/' + answer.errorCode : ''}`;
    }
  } else {
    if (answer.reason !== expected.reason) return `expected reason ${expected.reason}, got ${answer.reason}${answer.errorCode ? '/' + answer.errorCode : ''}`;
    if ('value' in expected && !isDeepStrictEqual(answer.value ?? null, expected.value ?? null)) {
      return `expected value ${JSON.stringify(expected.value)}, got ${JSON.stringify(answer.value)}`;
    }
    if ('variant' in expected && (answer.variant ?? null) !== (expected.variant ?? null)) {
      return `expected variant ${JSON.stringify(expected.variant)}, got ${JSON.stringify(answer.variant)}`;
    }
  }
  for (const [k, v] of Object.entries(expected.metadata ?? {})) {
    if (!isDeepStrictEqual(answer.metadata?.[k], v)) return `expected metadata.${k} = ${JSON.stringify(v)}, got ${JSON.stringify(answer.metadata?.[k])}`;
  }
  return null;
}

/** The fields of `expected` that `actual` lacks or holds differently (recursing into objects). */
export function bodyMismatch(expected: Record<string, unknown>, actual: unknown, path = ''): string | null {
  if (typeof actual !== 'object' || actual === null) return `${path || 'body'}: expected an object, got ${JSON.stringify(actual)}`;
  for (const [k, v] of Object.entries(expected)) {
    const got = (actual as Record<string, unknown>)[k];
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const inner = bodyMismatch(v as Record<string, unknown>, got, `${path}${k}.`);
      if (inner) return inner;
    } else if (!isDeepStrictEqual(got, v)) {
      return `${path}${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(got)}`;
    }
  }
  return null;
}
