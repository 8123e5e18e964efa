/** A save refused with 409: someone saved another version meanwhile; show both and let the user choose. */
import { JsonDiffView } from '../components/json-diff-view.js';

export interface Conflict {
  theirs: Record<string, unknown>;
  theirVersion: number;
}

export function ConflictPanel({ conflict, mine, myVersion, onKeepMine, onTakeTheirs }: { conflict: Conflict; mine: Record<string, unknown>; myVersion: number | null; onKeepMine: () => void; onTakeTheirs: () => void }) {
  return (
    <section class="card conflict" role="alert" aria-labelledby="conflict-title">
      <h2 id="conflict-title">Changed by someone else</h2>
      <p>
        Version {conflict.theirVersion} was saved while you edited version {myVersion ?? '—'}. Your edit was not saved. What differs between the saved
        version and your edit:
      </p>
      <JsonDiffView before={conflict.theirs} after={mine} beforeLabel={`saved (version ${conflict.theirVersion})`} afterLabel="your edit" />
      <div class="row">
        <button type="button" class="primary" onClick={onKeepMine}>Keep my edit over version {conflict.theirVersion}</button>
        <button type="button" onClick={onTakeTheirs}>Discard my edit, load version {conflict.theirVersion}</button>
      </div>
      <p class="hint">Keeping your edit does not save it: review, then save again.</p>
    </section>
  );
}
