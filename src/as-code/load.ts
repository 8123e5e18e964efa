/**
 * Reads a rules directory (PRODUCT.md 10): every `*.json` file under a `cohorts/`, `flags/`,
 * `configs/` or `surveys/` folder is one definition; the folder names its kind. Files are
 * read recursively in sorted order so plans and reports are stable. CSV files are member
 * lists of static cohorts (read when a cohort file names them); Markdown and dot-files are
 * documentation and ignored; anything else is reported.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseJsonFile } from './json-file.js';

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
export async function loadRulesDir(dir: string): Promise<{ files: RuleFile[]; csvFiles: Map<string, string>; issues: RuleIssue[] }> {
  const root = path.resolve(dir);
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new Error(`${dir}: not a directory`);
  const rels: string[] = [];
  await walk(root, '', rels);
  const files: RuleFile[] = [];
  const csvFiles = new Map<string, string>();
  const issues: RuleIssue[] = [];
  for (const rel of rels) {
    const file = path.join(dir, rel);
    const abs = path.join(root, rel);
    const ext = path.extname(rel).toLowerCase();
    if (IGNORED_EXT.has(ext)) continue;
    if (ext === '.csv') {
      csvFiles.set(file, abs);
      continue;
    }
    if (ext === '.yaml' || ext === '.yml') {
      issues.push({ file, message: 'YAML is not supported (no YAML parser is installed): write the definition as JSON' });
      continue;
    }
    if (ext !== '.json') {
      issues.push({ file, message: 'not a rules file: definitions are .json, static cohort members .csv, docs .md' });
      continue;
    }
    const kind = kindOf(path.basename(root), rel);
    if (!kind) {
      issues.push({ file, message: `put the file in a folder named ${Object.keys(KIND_FOLDERS).join(', ')} (the folder says what it defines)` });
      continue;
    }
    const parsed = parseJsonFile(await readFile(abs, 'utf8'));
    if (!parsed.ok) {
      for (const p of parsed.problems) issues.push({ file, at: p.at, message: p.message });
      continue;
    }
    const doc = parsed.value;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      issues.push({ file, message: 'must hold one JSON object: one definition per file' });
      continue;
    }
    files.push({ file, abs, kind, doc: doc as Record<string, unknown> });
  }
  return { files, csvFiles, issues };
}
