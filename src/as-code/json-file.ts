/**
 * Strict JSON for rules files, with positions: Node's JSON.parse does not always say where
 * a syntax error is, and silently keeps the last of two duplicate keys. This scanner walks
 * the text once (RFC 8259 grammar), reports the first syntax error as `line:column` and every
 * duplicate key with its path; only a clean text is handed to JSON.parse for the value.
 */
import { joinPath } from '../core/index.js';

/** A problem in a JSON text: where (1-based line and column, or a path inside it) and what. */
export interface JsonProblem {
  /** `line 3, column 7` for syntax errors, or a path like `rules[1].id` for duplicate keys */
  at: string;
  message: string;
}

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; problems: JsonProblem[] };

class SyntaxProblem extends Error {
  constructor(readonly pos: number, message: string) {
    super(message);
  }
}

const WS = new Set([' ', '\t', '\n', '\r']);
const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/** Line and column (1-based, columns in UTF-16 units) of offset `pos`. */
function lineColumn(text: string, pos: number): string {
  let line = 1;
  let start = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      start = i + 1;
    }
  }
  return `line ${line}, column ${pos - start + 1}`;
}

class Scanner {
  pos = 0;
  readonly duplicates: JsonProblem[] = [];

  constructor(private readonly text: string) {}

  fail(message: string, pos = this.pos): never {
    throw new SyntaxProblem(pos, message);
  }

  skip(): void {
    while (this.pos < this.text.length && WS.has(this.text[this.pos])) this.pos++;
  }

  describe(): string {
    return this.pos >= this.text.length ? 'end of file' : JSON.stringify(this.text[this.pos]);
  }

  value(path: string): void {
    this.skip();
    const c = this.text[this.pos];
    if (c === '{') {
      this.object(path);
      return;
    }
    if (c === '[') {
      this.array(path);
      return;
    }
    if (c === '"') return void this.string();
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return;
      }
    }
    NUMBER_RE.lastIndex = this.pos;
    if (NUMBER_RE.exec(this.text) && NUMBER_RE.lastIndex > this.pos) {
      this.pos = NUMBER_RE.lastIndex;
      return;
    }
    this.fail(`expected a value, found ${this.describe()}`);
  }

  string(): string {
    const start = this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '"') {
        this.pos++;
        return JSON.parse(this.text.slice(start, this.pos)) as string;
      }
      if (c === '\\') {
        const e = this.text[this.pos + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) this.fail('invalid \\u escape');
          this.pos += 6;
          continue;
        }
        if (!ESCAPES.has(e)) this.fail(`invalid escape \\${e ?? ''}`);
        this.pos += 2;
        continue;
      }
      if (c < ' ') this.fail('control character in string (write \\n, \\t, ...)');
      this.pos++;
    }
    this.fail('unterminated string', start);
  }

  object(path: string): void {
    this.pos++;
    const seen = new Set<string>();
    this.skip();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      this.skip();
      if (this.text[this.pos] !== '"') this.fail(`expected a property name in double quotes, found ${this.describe()}`);
      const key = this.string();
      const keyPath = joinPath(path, key);
      if (seen.has(key)) this.duplicates.push({ at: keyPath, message: `duplicate key ${JSON.stringify(key)} (JSON would keep only the last)` });
      seen.add(key);
      this.skip();
      if (this.text[this.pos] !== ':') this.fail(`expected ':' after property name, found ${this.describe()}`);
      this.pos++;
      this.value(keyPath);
      this.skip();
      const c = this.text[this.pos];
      if (c === '}') {
        this.pos++;
        return;
      }
      if (c !== ',') this.fail(`expected ',' or '}' after property value, found ${this.describe()}`);
      this.pos++;
      this.skip();
      if (this.text[this.pos] === '}') this.fail('trailing comma before }');
    }
  }

  array(path: string): void {
    this.pos++;
    this.skip();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return;
    }
    for (let i = 0; ; i++) {
      this.value(joinPath(path, i));
      this.skip();
      const c = this.text[this.pos];
      if (c === ']') {
        this.pos++;
        return;
      }
      if (c !== ',') this.fail(`expected ',' or ']' after array element, found ${this.describe()}`);
      this.pos++;
      this.skip();
      if (this.text[this.pos] === ']') this.fail('trailing comma before ]');
    }
  }
}

/** Parses a rules file's JSON text (a leading UTF-8 BOM is allowed). */
export function parseJsonFile(raw: string): JsonParseResult {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const s = new Scanner(text);
  try {
    s.value('');
    s.skip();
    if (s.pos < text.length) s.fail(`unexpected ${s.describe()} after the end of the JSON value`);
  } catch (err) {
    if (err instanceof SyntaxProblem) return { ok: false, problems: [{ at: lineColumn(text, err.pos), message: `invalid JSON: ${err.message}` }] };
    throw err;
  }
  if (s.duplicates.length) return { ok: false, problems: s.duplicates };
  return { ok: true, value: JSON.parse(text) };
}
