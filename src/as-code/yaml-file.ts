/**
 * YAML rules files (PRODUCT.md 10), read with the `yaml` package (YAML 1.2, core schema):
 * duplicate keys are errors (as in the JSON reader), every syntax error is reported with its
 * `line:column`, and the value must be plain JSON data (no custom tags; anchors/aliases are
 * expanded, at most 100 of them, against "billion laughs" documents).
 */
import { parseDocument } from 'yaml';
import type { JsonParseResult } from './json-file.js';

/** Parses a rules file's YAML text into JSON data, or lists its problems with positions. */
export function parseYamlFile(raw: string): JsonParseResult {
  const doc = parseDocument(raw, { uniqueKeys: true, prettyErrors: true, schema: 'core', strict: true });
  const errors = [...doc.errors, ...doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED')];
  if (errors.length) {
    return {
      ok: false,
      problems: errors.map((e) => {
        const pos = e.linePos?.[0];
        const message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
        return { at: pos ? `line ${pos.line}, column ${pos.col}` : 'line 1, column 1', message: `invalid YAML: ${message}` };
      }),
    };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) ?? null };
  } catch (err) {
    return { ok: false, problems: [{ at: 'line 1, column 1', message: `invalid YAML: ${(err as Error).message}` }] };
  }
}
