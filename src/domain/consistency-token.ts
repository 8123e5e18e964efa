/**
 * Consistency tokens (read-your-writes, docs/read-your-writes.md). A write to a project's feeds
 * (`/v1/events`, `/v1/engage`, `/v1/alias`) takes the next slot `seq` of the project's sequence;
 * the token names that slot. Clients treat it as opaque: `ct1.<project>.<epoch>.<seq>` (project
 * and seq in base 36, epoch 8 hex digits). The epoch changes when Redis lost the sequence (a
 * restart without persistence): seq then starts again at 1, so tokens of another epoch are
 * never compared by seq.
 */

/** A parsed token: the project it belongs to, the sequence's epoch and the slot (1, 2, ...). */
export interface ConsistencyToken {
  projectId: number;
  epoch: string;
  seq: number;
}

/** The watermark a project reached: every slot `<= applied` of `epoch` is visible to decisions. */
export interface Watermark {
  epoch: string;
  applied: number;
  /** the last slot handed out (`applied <= issued`) */
  issued: number;
}

const FORMAT = /^ct1\.([0-9a-z]{1,11})\.([0-9a-f]{8})\.([0-9a-z]{1,11})$/;

/** The token's text. */
export const formatToken = (t: ConsistencyToken): string => `ct1.${t.projectId.toString(36)}.${t.epoch}.${t.seq.toString(36)}`;

/** Parses a token's text; null when it is not one (any other string, a number out of range). */
export function parseToken(text: string): ConsistencyToken | null {
  const m = FORMAT.exec(text);
  if (!m) return null;
  const projectId = Number.parseInt(m[1], 36);
  const seq = Number.parseInt(m[3], 36);
  if (!Number.isSafeInteger(projectId) || !Number.isSafeInteger(seq) || projectId < 1 || seq < 0) return null;
  return { projectId, epoch: m[2], seq };
}

/** A fresh epoch: 8 random hex digits. */
export function newEpoch(random: () => number = Math.random): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += Math.floor(random() * 16).toString(16);
  return s;
}
