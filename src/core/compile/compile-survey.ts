/**
 * Compiles a survey: eligibility rules (no serve), schedule times to unix ms, the wait
 * period to ms, and a checked URL pattern.
 */
import { HASH_VERSION, SUPPORTED_HASH_VERSIONS } from '../evaluate/bucketing.js';
import { checkDuplicateIds, checkHashVersion, compileRule } from './compile-rules.js';
import { zodIssues, type CompileResult } from './compile-result.js';
import type { CompiledSurvey } from '../evaluate/compiled.js';
import { surveySchema } from './definitions.js';
import { joinPath, type CompileIssue } from './paths.js';
import type { JsonValue } from '../evaluate/types.js';

const DAY_MS = 86_400_000;
const ISO_DATE_RE = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

/** A schedule bound as unix ms; ISO 8601 strings are parsed (pure: no clock involved). */
function toMs(value: number | string | undefined, path: string, issues: CompileIssue[]): number | null {
  if (value === undefined) return null;
  if (typeof value === 'number') return value;
  const ms = ISO_DATE_RE.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    issues.push({ path, message: 'must be unix ms or an ISO 8601 date-time' });
    return null;
  }
  return ms;
}

/** Compiles a survey definition. */
export function compileSurvey(raw: unknown): CompileResult<CompiledSurvey> {
  const parsed = surveySchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: zodIssues(parsed.error) };
  const survey = parsed.data;
  const issues: CompileIssue[] = [];
  const hashVersion = survey.hash_version ?? HASH_VERSION;
  checkHashVersion(hashVersion, issues, SUPPORTED_HASH_VERSIONS);
  checkDuplicateIds(survey.rules, '', issues);
  const seenQuestions = new Set<string>();
  survey.questions.forEach((question, i) => {
    if (seenQuestions.has(question.id)) issues.push({ path: `questions[${i}].id`, message: `duplicate question id ${JSON.stringify(question.id)}` });
    seenQuestions.add(question.id);
  });
  const rules = survey.rules.map((rule, i) => compileRule(rule, joinPath('rules', i), null, issues));
  const start = toMs(survey.schedule?.start, 'schedule.start', issues);
  const end = toMs(survey.schedule?.end, 'schedule.end', issues);
  if (start !== null && end !== null && end <= start) issues.push({ path: 'schedule.end', message: 'must be after schedule.start' });
  const urlPattern = survey.triggers.url_pattern ?? null;
  if (urlPattern !== null) {
    try {
      new RegExp(urlPattern);
    } catch {
      issues.push({ path: 'triggers.url_pattern', message: 'must be a valid regular expression' });
    }
  }
  if (issues.length > 0) return { ok: false, errors: issues };
  const questions = survey.questions as JsonValue[];
  const triggers = { events: survey.triggers.events ?? [], url_pattern: urlPattern, delay_ms: survey.triggers.delay_ms ?? 0 };
  return {
    ok: true,
    def: {
      kind: 'survey',
      format: 'native',
      key: survey.key,
      version: survey.version ?? 1,
      name: survey.name,
      enabled: survey.enabled,
      questions,
      triggers,
      start,
      end,
      responseLimit: survey.response_limit ?? null,
      waitPeriodMs: survey.wait_period_days === undefined ? null : survey.wait_period_days * DAY_MS,
      salt: survey.salt ?? survey.key,
      hashVersion,
      rules,
      content: { key: survey.key, name: survey.name, questions, triggers },
    },
  };
}
