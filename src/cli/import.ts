import cliProgress from 'cli-progress';
import type { Config } from '../config.js';
import { composeCli } from '../composition.js';
import { migrate } from '../adapters/postgres/migrate.js';
import { importFile } from '../import/import-file.js';
import type { ImportFormat } from '../import/sources.js';

export interface ImportCliOptions {
  project: string;
  format?: ImportFormat;
  mapping?: string;
  shiftToNow?: boolean;
}

/**
 * `import <file> --project <id>`: streams a CSV or NDJSON file (optionally .gz) into a
 * project through the ingest path, in-process, with a progress bar (bytes read) on stderr
 * and a report on stdout. Exit code 1 when the project does not exist or the file fails.
 */
export async function runImport(config: Config, file: string, opts: ImportCliOptions): Promise<void> {
  const projectId = Number(opts.project);
  if (!Number.isSafeInteger(projectId) || projectId <= 0) throw new Error(`--project must be a project id, got "${opts.project}"`);
  await migrate(config.DATABASE_URL);
  const c = composeCli(config);
  await c.start();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'import |{bar}| {percentage}% | {mb}/{totalMb} MB read | rows {rows} | stored {stored} | dedup {deduplicated} | rejected {rejected} | ETA {eta_formatted}',
      hideCursor: true,
      // without a terminal (CI, logs) print a line every 5 s instead of redrawing
      noTTYOutput: true,
      notTTYSchedule: 5_000,
    },
    cliProgress.Presets.shades_classic,
  );
  try {
    if (!(await c.projectStore.get(projectId))) throw new Error(`project ${projectId} not found`);
    let started = false;
    const mb = (b: number) => (b / 1048576).toFixed(1);
    const report = await importFile({
      ingest: c.ingest,
      people: c.people,
      projectId,
      file,
      format: opts.format,
      mapping: opts.mapping,
      shiftToNow: opts.shiftToNow,
      onProgress: (p) => {
        const payload = { ...p, mb: mb(p.bytesRead), totalMb: mb(p.totalBytes) };
        if (!started) {
          bar.start(p.totalBytes, p.bytesRead, payload);
          started = true;
        } else bar.update(p.bytesRead, payload);
      },
    });
    bar.stop();
    const lines = [
      `imported ${file} into project ${projectId} in ${(report.durationMs / 1000).toFixed(1)} s`,
      `rows read:      ${report.rows} (skipped by the mapping: ${report.skipped})`,
      `stored:         ${report.stored}`,
      `deduplicated:   ${report.deduplicated}`,
      `rejected:       ${report.rejected}`,
      `person updates: ${report.personUpdates.applied} applied, ${report.personUpdates.rejected} rejected`,
      `events/s:       ${Math.round((report.stored + report.deduplicated) / Math.max(report.durationMs / 1000, 0.001))}`,
    ];
    if (report.shiftMs) lines.push(`times shifted by ${report.shiftMs} ms (--shift-to-now)`);
    for (const e of report.errors.slice(0, 10)) lines.push(`  row ${e.row}: ${e.field}: ${e.message}`);
    console.log(lines.join('\n'));
  } finally {
    bar.stop();
    await c.close();
  }
}
