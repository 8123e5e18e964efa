/**
 * A JSON value in a textarea: parsed on every edit, reported when it does not parse, and
 * shown with the server's messages for its path (e.g. `rules[0].condition`).
 */
import { useEffect, useState } from 'preact/hooks';
import type { FieldIssue } from '../lib/api.js';
import { pretty } from '../lib/format.js';
import { Issues, issuesAt } from './error-box.js';

interface Props {
  id: string;
  label: string;
  value: unknown;
  /** called with the parsed value, or undefined when the field is emptied and `optional` */
  onChange: (v: unknown) => void;
  issues?: FieldIssue[];
  path?: string;
  optional?: boolean;
  rows?: number;
  readOnly?: boolean;
  hint?: string;
}

export function JsonField({ id, label, value, onChange, issues = [], path = '', optional, rows = 4, readOnly, hint }: Props) {
  const [text, setText] = useState(value === undefined ? '' : pretty(value));
  const [parseError, setParseError] = useState<string | null>(null);
  // Follow outside changes (another tab, a reload) unless the text already means the value.
  useEffect(() => {
    let same = false;
    try {
      same = text.trim() === '' ? value === undefined : JSON.stringify(JSON.parse(text)) === JSON.stringify(value);
    } catch {
      same = false;
    }
    if (!same && parseError === null) setText(value === undefined ? '' : pretty(value));
  }, [JSON.stringify(value)]);

  const edit = (t: string) => {
    setText(t);
    if (t.trim() === '' && optional) {
      setParseError(null);
      onChange(undefined);
      return;
    }
    try {
      const v = JSON.parse(t);
      setParseError(null);
      onChange(v);
    } catch (e) {
      setParseError((e as Error).message);
    }
  };
  const invalid = parseError !== null || (path !== '' && issuesAt(issues, path).length > 0);
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && <p class="hint" id={`${id}-hint`}>{hint}</p>}
      <textarea
        id={id}
        class="code"
        rows={Math.min(14, Math.max(rows, text.split("\n").length))}
        value={text}
        readOnly={readOnly}
        spellcheck={false}
        aria-invalid={invalid}
        aria-describedby={[hint ? `${id}-hint` : '', `${id}-errors`].filter(Boolean).join(' ')}
        onInput={(e) => edit((e.target as HTMLTextAreaElement).value)}
      />
      <div id={`${id}-errors`}>
        {parseError && <p class="issues" role="alert">Not valid JSON: {parseError}</p>}
        {path !== '' && <Issues issues={issues} path={path} />}
      </div>
    </div>
  );
}
