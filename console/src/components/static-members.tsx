/**
 * A static cohort's members: upload a CSV (drag and drop, choose a file) or paste ids, read
 * the report of a dry run before applying it and the report after; page through members
 * and remove one. This is how support staff pin users.
 */
import { useState } from 'preact/hooks';
import { type ApiError, projectPath, request } from '../lib/api.js';
import { time } from '../lib/format.js';
import { useCanWrite } from '../lib/session.js';
import { useLoad } from '../lib/use-load.js';
import { ErrorBox } from './error-box.js';
import { UploadReport, type Report } from './upload-report.js';

interface Member {
  distinct_id: string;
  person_id: number | null;
  added_at: string;
}

type Mode = 'add' | 'replace' | 'remove';
const METHOD: Record<Mode, string> = { add: 'POST', replace: 'PUT', remove: 'DELETE' };

/** A CSV text (header with distinct_id) is sent as CSV; anything else as one id per line. */
export function uploadBody(text: string): { csv?: string; body?: unknown } {
  const first = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0].toLowerCase();
  if (first.split(',').map((h) => h.trim().replace(/^"|"$/g, '')).includes('distinct_id')) return { csv: text };
  return { body: { distinct_ids: text.split(/\r?\n/).filter((l) => l.trim() !== '') } };
}

export function StaticMembers({ project, cohortKey, onApplied }: { project: string; cohortKey: string; onApplied: () => void }) {
  const canWrite = useCanWrite();
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [mode, setMode] = useState<Mode>('add');
  const [dry, setDry] = useState<Report | null>(null);
  const [applied, setApplied] = useState<Report | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [dragOver, setDragOver] = useState(false);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const members = useLoad(
    () => request<{ data: Member[]; next_cursor: string | null }>('GET', `${projectPath(project, 'cohorts', cohortKey, 'members')}?limit=25${cursor ? `&cursor=${cursor}` : ''}`).then((r) => r.data),
    [project, cohortKey, cursor, applied],
  );
  const base = projectPath(project, 'cohorts', cohortKey, 'members');

  const load = (t: string, name: string | null) => {
    setText(t);
    setFileName(name);
    setDry(null);
    setApplied(null);
    setError(null);
  };
  const readFile = async (f: File) => load(await f.text(), f.name);
  const check = async () => {
    setError(null);
    setApplied(null);
    try {
      setDry((await request<Report>('POST', `${base}/preview?mode=${mode}`, uploadBody(text))).data);
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const apply = async () => {
    setError(null);
    try {
      const r = (await request<Report>(METHOD[mode], base, uploadBody(text))).data;
      setApplied(r);
      setDry(null);
      setCursors([]);
      onApplied();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const removeOne = async (id: string) => {
    if (!confirm(`Remove ${id} from ${cohortKey}?`)) return;
    try {
      setApplied((await request<Report>('DELETE', base, { body: { distinct_ids: [id] } })).data);
      onApplied();
    } catch (err) {
      setError(err as ApiError);
    }
  };

  return (
    <section aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {canWrite && (
        <div class="card">
          <div
            class={`dropzone${dragOver ? ' over' : ''}`}
            data-testid="dropzone"
            onDragOver={(e) => {
              e.preventDefault();
              setDragOver(true);
            }}
            onDragLeave={() => setDragOver(false)}
            onDrop={(e) => {
              e.preventDefault();
              setDragOver(false);
              const f = e.dataTransfer?.files[0];
              if (f) void readFile(f);
            }}
          >
            <p>Drop a CSV file with a <code>distinct_id</code> column here, or</p>
            <label class="button" for="csv-file">Choose a CSV file</label>
            <input id="csv-file" class="sr-only" type="file" accept=".csv,text/csv,text/plain" onChange={(e) => {
              const f = (e.target as HTMLInputElement).files?.[0];
              if (f) void readFile(f);
            }} />
            {fileName && <p>File: <strong>{fileName}</strong></p>}
          </div>
          <div class="field">
            <label for="paste-ids">…or paste distinct_ids (one per line, or CSV with a header)</label>
            <textarea id="paste-ids" rows={5} class="code" value={text} onInput={(e) => load((e.target as HTMLTextAreaElement).value, null)} />
          </div>
          <div class="row wrap">
            <label for="upload-mode">Upload</label>
            <select id="upload-mode" value={mode} onChange={(e) => {
              setMode((e.target as HTMLSelectElement).value as Mode);
              setDry(null);
            }}>
              <option value="add">adds these ids</option>
              <option value="replace">replaces the whole list</option>
              <option value="remove">removes these ids</option>
            </select>
            <button type="button" onClick={check} disabled={text.trim() === ''}>Check upload</button>
            {dry && <button type="button" class="primary" onClick={apply} disabled={dry.would_refuse}>Apply upload</button>}
          </div>
          <ErrorBox error={error} title="Upload refused" />
          {dry && <UploadReport report={dry} title="Before applying (dry run)" />}
          {applied && <UploadReport report={applied} title="Applied" />}
        </div>
      )}
      <ErrorBox error={members.error} />
      {members.data && (
        <>
          <table data-testid="members">
            <thead><tr><th scope="col">distinct_id</th><th scope="col">person</th><th scope="col">added</th>{canWrite && <th scope="col"><span class="sr-only">actions</span></th>}</tr></thead>
            <tbody>
              {members.data.data.map((m) => (
                <tr key={m.distinct_id}>
                  <td><code>{m.distinct_id}</code></td>
                  <td>{m.person_id === null ? <span class="muted">not seen yet</span> : `#${m.person_id}`}</td>
                  <td>{time(m.added_at)}</td>
                  {canWrite && <td><button type="button" class="small danger" aria-label={`remove ${m.distinct_id}`} onClick={() => removeOne(m.distinct_id)}>Remove</button></td>}
                </tr>
              ))}
            </tbody>
          </table>
          {members.data.data.length === 0 && <p class="muted">No members.</p>}
          <div class="row">
            <button type="button" class="small" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>Previous page</button>
            <button type="button" class="small" disabled={!members.data.next_cursor} onClick={() => setCursors([...cursors, members.data!.next_cursor!])}>Next page</button>
          </div>
        </>
      )}
    </section>
  );
}
