import cliProgress from 'cli-progress';
import type { Config } from '../config.js';
import { composeCli } from '../composition.js';
import { migrate } from '../adapters/postgres/migrate.js';
import { importFile } from '../import/import-file.js';
import type { ImportFormat } from '../import/sources.js';
import type { jobView } from '../import/import-jobs.js';

type ImportJobView = ReturnType<typeof jobView>;

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
export async function runImport(config: Config, file: string, opts: ImportCliOptions): Promise<ImportJobView | null> {
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
    // The import job (docs/imports.md), as `POST …/imports` runs it; --shift-to-now reads the
    // file twice and runs in-process without a job.
    if (!opts.shiftToNow) {
      bar.stop();
      const started = Date.now();
      const job = await c.importJobs.runLocal(projectId, 'cli', file, { format: opts.format, mapping: opts.mapping }, (j) =>
        process.stderr.write(`import job ${j.id}: ${j.state} | rows ${j.processed} | stored ${j.stored} | dedup ${j.deduplicated} | failed ${j.failed}\n`),
      );
      const view = await c.importJobs.get(projectId, job.id);
      const s = (Date.now() - started) / 1000;
      const lines = [
        `import job ${job.id}: ${job.state}${job.error ? ` (${job.error})` : ''}: ${file} into project ${projectId} in ${s.toFixed(1)} s`,
        `rows read:      ${job.processed} (skipped by the mapping: ${job.skipped})`,
        `stored:         ${job.stored}`,
        `deduplicated:   ${job.deduplicated}`,
        `rejected:       ${job.failed}`,
        `person updates: ${job.personUpdates} applied`,
        `events/s:       ${Math.round((job.stored + job.deduplicated) / Math.max(s, 0.001))}`,
      ];
      for (const e of view.errors?.slice(0, 10) ?? []) lines.push(`  row ${e.row}: ${e.field}: ${e.message}`);
      console.log(lines.join('\n'));
      if (job.state === 'failed') process.exitCode = 1;
      return view;
    }
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
    return null;
  } finally {
    bar.stop();
    await c.close();
  }
}
