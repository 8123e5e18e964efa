/**
 * Checks config values against the config's JSON Schema (draft-07, ajv) when it is compiled.
 * All values are known then, so nothing is validated at decision time.
 */
import { Ajv } from 'ajv';
import { formatPath, type CompileIssue } from './paths.js';

// One ajv for the process; each schema is removed after use so the cache cannot grow.
const ajv = new Ajv({ allErrors: true, strict: false });

/** A config value to check and where it sits in the definition (e.g. `rules[1].serve.value`). */
export interface ValueAtPath {
  path: string;
  value: unknown;
}

/** Splits an ajv instancePath (`/a/0`) into path segments. */
function instanceSegments(instancePath: string): (string | number)[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** Returns one issue per schema violation of each value, or one for an invalid schema. */
export function checkValuesAgainstSchema(schema: unknown, values: readonly ValueAtPath[]): CompileIssue[] {
  const issues: CompileIssue[] = [];
  try {
    const validate = ajv.compile(schema as Parameters<typeof ajv.compile>[0]);
    for (const { path, value } of values) {
      if (validate(value)) continue;
      for (const error of validate.errors ?? []) {
        issues.push({
          path: formatPath(instanceSegments(error.instancePath), path),
          message: `does not match the config schema: ${error.message ?? 'invalid'}`,
        });
      }
    }
  } catch (error) {
    issues.push({ path: 'schema', message: `invalid JSON Schema: ${error instanceof Error ? error.message : String(error)}` });
  } finally {
    if (typeof schema === 'object' && schema !== null) ajv.removeSchema(schema as object);
  }
  return issues;
}
