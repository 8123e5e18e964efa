/**
 * Reads a rules directory (PRODUCT.md 10): every `*.json`, `*.yaml` or `*.yml` file under a
 * `cohorts/`, `flags/`, `configs/` or `surveys/` folder holds definitions; the folder names
 * their kind. A file holds one native definition, or (under `flags/`) a whole flagd
 * flag-definition document (`{ "$schema"?, "flags": {...}, "$evaluators"?, "metadata"? }`,
 * as flagd and its testbed ship them), split here into one flag per entry of `flags`.
 * Files are read recursively in sorted order so plans and reports are stable. CSV files are
 * member lists of static cohorts (read when a cohort file names them); Markdown and
 * dot-files are documentation and ignored; anything else is reported.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { joinPath } from '../core/index.js';
import { parseJsonFile } from './json-file.js';
import { parseYamlFile } from './yaml-file.js';

/** The kind of definition a rules file holds. */
export type RuleKind = 'cohort' | 'flag' | 'config' | 'survey';

/** Folder name -> kind. */
export const KIND_FOLDERS: Readonly<Record<string, RuleKind>> = { cohorts: 'cohort', flags: 'flag', configs: 'config', surveys: 'survey' };

/** One parsed rules file. `file` is the path as shown to people (the given dir joined with the relative path). */
export interface RuleFile {
  file: string;
  abs: string;
  kind: RuleKind;
  doc: Record<string, unknown>;
  /** set when `doc` is one flag of a flagd document: its key in the document's `flags` */
  flagd?: { flagKey: string };
}

/** Top-level keys of a flagd flag-definition document (flagd's flags.json schema). */
const FLAGD_DOCUMENT_KEYS = new Set(['$schema', 'flags', '$evaluators', 'metadata']);

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True for a flagd flag-definition document: an object whose `flags` is an object of flags. */
export function isFlagdDocument(doc: Record<string, unknown>): boolean {
  return isMap(doc.flags) && doc.key === undefined;
}

/**
 * Splits a flagd document into one definition per flag, as the admin API stores them: the
 * flag's fields, its key, the document's `$evaluators` and its metadata as `flagSetMetadata`
 * (open-feature/flagd core/pkg/evaluator/json.go#configToFlagDefinition). `$schema` is ignored;
 * other top-level keys are warned about (flagd ignores them too).
 */
export function splitFlagdDocument(f: Omit<RuleFile, 'flagd'>, issues: RuleIssue[], warnings: RuleIssue[]): RuleFile[] {
  const doc = f.doc;
  for (const key of Object.keys(doc)) {
    if (!FLAGD_DOCUMENT_KEYS.has(key)) warnings.push({ file: f.file, at: joinPath('', key), message: 'not part of a flagd document (flags, $evaluators, metadata, $schema): ignored' });
  }
  const out: RuleFile[] = [];
  for (const [flagKey, flag] of Object.entries(doc.flags as Record<string, unknown>)) {
    if (!isMap(flag)) {
      issues.push({ file: f.file, at: joinPath('flags', flagKey), message: 'a flag must be an object (state, variants, defaultVariant, targeting, metadata)' });
      continue;
    }
    const def: Record<string, unknown> = { ...flag, key: flagKey };
    if (doc.$evaluators !== undefined) def.$evaluators = doc.$evaluators;
    if (doc.metadata !== undefined) def.flagSetMetadata = doc.metadata;
    out.push({ ...f, doc: def, flagd: { flagKey } });
  }
  return out;
}

/** A path inside one flag of a flagd document, as a path inside its file. */
export function flagdPathInFile(flagKey: string, at: string): string {
  if (at.startsWith('$evaluators')) return at;
  if (at.startsWith('flagSetMetadata')) return `metadata${at.slice('flagSetMetadata'.length)}`;
  const base = joinPath('flags', flagKey);
  if (at === '' || at === 'key') return base;
  return at.startsWith('[') ? `${base}${at}` : `${base}.${at}`;
}

/** A problem with a rules file: `file`, optionally a path inside it (or `line 3, column 7`), and what. */
export interface RuleIssue {
  file: string;
  at?: string;
  message: string;
}

/** Formats an issue the way the CLI prints it: `rules/demo/flags/x.json: rules[1].id: ...`. */
export const formatIssue = (i: RuleIssue): string => `${i.file}: ${i.at ? `${i.at}: ` : ''}${i.message}`;

const IGNORED_EXT = new Set(['.md', '.txt']);

async function walk(abs: string, rel: string, out: string[]): Promise<void> {
  const entries = await readdir(path.join(abs, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const child = rel ? path.join(rel, e.name) : e.name;
    if (e.isDirectory()) await walk(abs, child, out);
    else if (e.isFile()) out.push(child);
  }
}

/** The kind of the nearest enclosing kind folder of `rel` (the root's own name counts too). */
function kindOf(rootName: string, rel: string): RuleKind | null {
  const folders = [rootName, ...path.dirname(rel).split(path.sep).filter((s) => s && s !== '.')];
  for (let i = folders.length - 1; i >= 0; i--) {
    const kind = KIND_FOLDERS[folders[i]];
    if (kind) return kind;
  }
  return null;
}

/**
 * Loads every definition file of `dir`. Returns the parsed files, the CSV files found
 * (display path -> absolute path) and every problem; never throws for bad content
 * (only when `dir` cannot be read at all).
 */
export async function loadRulesDir(dir: string): Promise<{ files: RuleFile[]; csvFiles: Map<string, string>; issues: RuleIssue[]; warnings: RuleIssue[] }> {
  const root = path.resolve(dir);
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new Error(`${dir}: not a directory`);
  const rels: string[] = [];
  await walk(root, '', rels);
  const files: RuleFile[] = [];
  const csvFiles = new Map<string, string>();
  const issues: RuleIssue[] = [];
  const warnings: RuleIssue[] = [];
  for (const rel of rels) {
    const file = path.join(dir, rel);
    const abs = path.join(root, rel);
    const ext = path.extname(rel).toLowerCase();
    if (IGNORED_EXT.has(ext)) continue;
    if (ext === '.csv') {
      csvFiles.set(file, abs);
      continue;
    }
    const yaml = ext === '.yaml' || ext === '.yml';
    if (ext !== '.json' && !yaml) {
      issues.push({ file, message: 'not a rules file: definitions are .json, .yaml or .yml, static cohort members .csv, docs .md' });
      continue;
    }
    const kind = kindOf(path.basename(root), rel);
    if (!kind) {
      issues.push({ file, message: `put the file in a folder named ${Object.keys(KIND_FOLDERS).join(', ')} (the folder says what it defines)` });
      continue;
    }
    const text = await readFile(abs, 'utf8');
    const parsed = yaml ? parseYamlFile(text) : parseJsonFile(text);
    if (!parsed.ok) {
      for (const p of parsed.problems) issues.push({ file, at: p.at, message: p.message });
      continue;
    }
    const doc = parsed.value;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      issues.push({ file, message: 'must hold one object: a definition, or under flags/ a flagd document' });
      continue;
    }
    const { $schema: _schema, ...rest } = doc as Record<string, unknown>;
    if (kind === 'flag' && isFlagdDocument(rest)) {
      files.push(...splitFlagdDocument({ file, abs, kind, doc: doc as Record<string, unknown> }, issues, warnings));
      continue;
    }
    files.push({ file, abs, kind, doc: rest });
  }
  return { files, csvFiles, issues, warnings };
}
