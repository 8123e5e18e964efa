/** The report of a static-cohort upload (dry run or applied): counts and invalid rows with lines. */
export interface Report {
  dry_run?: boolean;
  added: number;
  already_present: number;
  not_yet_seen: number;
  removed?: number;
  not_present?: number;
  invalid: Array<{ line?: number; index?: number; value: unknown; reason: string }>;
  invalid_count?: number;
  total: number;
  would_refuse?: boolean;
  materialization?: { status: string; version: number | null };
}

export function UploadReport({ report, title }: { report: Report; title: string }) {
  const invalidCount = report.invalid_count ?? report.invalid.length;
  return (
    <div class="report" data-testid={report.dry_run ? 'report-dry-run' : 'report-applied'} role="status">
      <h3>{title}</h3>
      <dl class="counts">
        <div><dt>added</dt><dd data-testid="count-added">{report.added}</dd></div>
        <div><dt>already present</dt><dd data-testid="count-already">{report.already_present}</dd></div>
        <div><dt>not yet seen</dt><dd data-testid="count-unseen">{report.not_yet_seen}</dd></div>
        {report.removed !== undefined && <div><dt>removed</dt><dd>{report.removed}</dd></div>}
        {report.not_present !== undefined && <div><dt>not present</dt><dd>{report.not_present}</dd></div>}
        <div><dt>invalid rows</dt><dd data-testid="count-invalid">{invalidCount}</dd></div>
        <div><dt>members after</dt><dd data-testid="count-total">{report.total}</dd></div>
      </dl>
      {report.materialization && <p class="muted">Served from Redis: {report.materialization.status}{report.materialization.version !== null ? ` (version ${report.materialization.version})` : ''}.</p>}
      {report.would_refuse && <p class="issues" role="alert">Applying would be refused: fix the invalid rows{report.total > 100_000 ? ' and stay under 100,000 members' : ''} first. Nothing is applied partly.</p>}
      {report.invalid.length > 0 && (
        <table data-testid="invalid-rows">
          <caption>Invalid rows</caption>
          <thead><tr><th scope="col">line</th><th scope="col">value</th><th scope="col">reason</th></tr></thead>
          <tbody>
            {report.invalid.map((r, i) => (
              <tr key={i}><td>{r.line ?? (r.index !== undefined ? r.index + 1 : '—')}</td><td><code>{JSON.stringify(r.value)}</code></td><td>{r.reason}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
