/**
 * The decision state of one stream, pure (hub.ts): what a client holds (the compact form of
 * each decision, handshake.ts `compact`), its content-addressed id (the SSE event id used for
 * Last-Event-ID resumes), and the `decisions` event between two states.
 */
import { createHash } from 'node:crypto';
import type { Decision, SurveyOffer } from '../../core/index.js';
import type { DecideOutcome } from '../../services/decide.js';
import { compact } from '../edge/handshake.js';

/**
 * The decision state a client holds: the compact form per decision (`f\0key`, `c\0key`, `s`),
 * kept as one flat JSON string of `[name, compact]` pairs (a Map of 65 short strings costs several
 * times more memory per stream), parsed back only when an event is computed.
 */
export interface State {
  id: string;
  text: string;
}

export const parseState = (text: string): Map<string, string> => new Map(text ? (JSON.parse(text) as Array<[string, string]>) : []);

export const textOf = (m: Map<string, string>): string => JSON.stringify([...m]);

const SEP = '\u0000';

export function stateOf(o: DecideOutcome): Map<string, string> {
  const m = new Map<string, string>();
  for (const k in o.result.flags) m.set(`f${SEP}${k}`, compact(o.result.flags[k]));
  for (const k in o.result.configs) m.set(`c${SEP}${k}`, compact(o.result.configs[k]));
  if (o.result.surveys.length) m.set('s', o.result.surveys.map(compact).join('\u0002'));
  return m;
}

export const idOf = (projectId: number, text: string): string => createHash('sha1').update(`${projectId}\n${text}`).digest('base64url').slice(0, 22);

/** A `decisions` event body: changed decisions, removed keys, the surveys when they changed. */
export function changes(o: DecideOutcome, before: Map<string, string>, after: Map<string, string>, at: Date): string | null {
  const flags: Record<string, Decision> = {};
  const configs: Record<string, Decision> = {};
  const removed: { flags: string[]; configs: string[] } = { flags: [], configs: [] };
  let n = 0;
  for (const k in o.result.flags) {
    if (before.get(`f${SEP}${k}`) === after.get(`f${SEP}${k}`)) continue;
    flags[k] = o.result.flags[k];
    n++;
  }
  for (const k in o.result.configs) {
    if (before.get(`c${SEP}${k}`) === after.get(`c${SEP}${k}`)) continue;
    configs[k] = o.result.configs[k];
    n++;
  }
  for (const k of before.keys()) {
    if (after.has(k)) continue;
    if (k.startsWith(`f${SEP}`)) removed.flags.push(k.slice(2));
    else if (k.startsWith(`c${SEP}`)) removed.configs.push(k.slice(2));
    else continue;
    n++;
  }
  const surveysChanged = before.get('s') !== after.get('s');
  if (n === 0 && !surveysChanged) return null;
  const body: { flags: Record<string, Decision>; configs: Record<string, Decision>; surveys?: SurveyOffer[]; removed: typeof removed; snapshot: { version: number }; generated_at: string } = {
    flags, configs, removed, snapshot: { version: o.snapshot.version }, generated_at: at.toISOString(),
  };
  if (surveysChanged) body.surveys = o.result.surveys;
  return JSON.stringify(body);
}

/** One SSE event's text. */
export const sse = (event: string, id: string | null, data: string) => `${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${data}\n\n`;

