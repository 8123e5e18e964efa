/**
 * The decision streams of one API process (docs/stream.md). Each open `GET /v1/stream` is a
 * connection for one person; the hub re-evaluates a connection when
 *  - its project's snapshot version moved (a definition or a cohort state changed: the
 *    snapshots reload on pub/sub or their poll, and the hub checks versions every `checkMs`),
 *  - the live channel names its person (a cohort refresh moved them in or out, the feeds
 *    changed their properties or identities), or names its whole project,
 * and sends a `decisions` event with only the decisions whose compact form (handshake.ts
 * `compact`) changed. Every event id names the decision state the client now has
 * (content-addressed); a reconnect with `Last-Event-ID` is answered with the difference from
 * that state when this process still remembers it, else with a full handshake.
 * OFREP connections (ADR-0008 of the OFREP spec) get `refetchEvaluation` messages instead.
 */
import type { Logger } from 'pino';
import type { LiveChannel, LiveMessage } from '../../ports/live-channel.js';
import type { DecideOutcome, DecideService } from '../../services/decide.js';
import type { Snapshots } from '../../services/snapshots.js';
import { changes, idOf, parseState, sse, stateOf, textOf, type State } from './decision-state.js';

/** One open stream: where it writes, and whom it decides for. */
export interface StreamConnection {
  projectId: number;
  distinctId: string;
  anonId: string | null;
  /** writes SSE text; false when the socket's buffer is full */
  write(chunk: string): boolean;
  /** bytes waiting in the socket's buffer */
  buffered(): number;
  close(): void;
}

interface Conn extends StreamConnection {
  personId: number | null;
  state: State | null;
  running: boolean;
  pending: boolean;
  closed: boolean;
}

interface OfrepConn {
  projectId: number;
  write(chunk: string): boolean;
  close(): void;
}

export interface StreamHubDeps {
  decide: Pick<DecideService, 'decide'>;
  snapshots: Pick<Snapshots, 'peek'>;
  live?: LiveChannel;
  logger: Logger;
  /** ms between heartbeats (SSE comments) */
  heartbeatMs: number;
  /** ms between snapshot version checks (default 50) */
  checkMs?: number;
  /** re-evaluations running at once (default 64) */
  concurrency?: number;
  /** decision states remembered for Last-Event-ID resumes (default 20,000) */
  resumeCapacity?: number;
  /** bytes a slow client may leave unread before it is disconnected (default 1 MiB) */
  maxBuffered?: number;
  now?: () => number;
  onEvent?: (kind: 'handshake' | 'decisions' | 'resumed' | 'refetch') => void;
}

export function createStreamHub(deps: StreamHubDeps) {
  const now = deps.now ?? Date.now;
  const concurrency = deps.concurrency ?? 256;
  const resumeCapacity = deps.resumeCapacity ?? 20_000;
  const maxBuffered = deps.maxBuffered ?? 1 << 20;
  const byProject = new Map<number, Set<Conn>>();
  const byPerson = new Map<string, Set<Conn>>();
  const byDistinctId = new Map<string, Set<Conn>>();
  const ofrep = new Map<number, Set<OfrepConn>>();
  /** snapshot version each project's connections were last evaluated at */
  const seenVersion = new Map<number, number>();
  /** content-addressed decision states, least recently used first */
  const states = new Map<string, string>();
  const queue: Conn[] = [];
  let active = 0;
  let heartbeat: NodeJS.Timeout | null = null;
  let check: NodeJS.Timeout | null = null;
  let unsubscribe: (() => Promise<void>) | null = null;

  const add = <K, V>(m: Map<K, Set<V>>, k: K, v: V) => {
    let s = m.get(k);
    if (!s) m.set(k, (s = new Set()));
    s.add(v);
  };
  const remove = <K, V>(m: Map<K, Set<V>>, k: K, v: V) => {
    const s = m.get(k);
    if (s?.delete(v) && s.size === 0) m.delete(k);
  };

  /** The shared copy of a state (clients with the same decisions share one map). */
  function intern(projectId: number, m: Map<string, string>): State {
    const fresh = textOf(m);
    const id = idOf(projectId, fresh);
    const key = `${projectId}:${id}`;
    const known = states.get(key);
    states.delete(key);
    const text = known ?? fresh;
    states.set(key, text);
    if (states.size > resumeCapacity) states.delete(states.keys().next().value!);
    return { id, text };
  }

  function send(c: Conn, chunk: string): void {
    if (c.closed) return;
    c.write(chunk);
    if (c.buffered() > maxBuffered) {
      deps.logger.debug({ project: c.projectId }, 'stream client too slow; disconnected');
      c.close();
    }
  }

  function index(c: Conn, personId: number | null): void {
    if (c.personId === personId) return;
    if (c.personId !== null) remove(byPerson, `${c.projectId}:${c.personId}`, c);
    c.personId = personId;
    if (personId !== null) add(byPerson, `${c.projectId}:${personId}`, c);
  }

  async function evaluate(c: Conn): Promise<void> {
    const o = await deps.decide.decide({ projectId: c.projectId, distinctId: c.distinctId, anonId: c.anonId, countRate: false, record: false });
    if (c.closed || o.degraded) return; // a degraded answer changes nothing the client has
    index(c, o.personId);
    const after = stateOf(o);
    const next = intern(c.projectId, after);
    if (c.state?.id === next.id) return;
    const body = changes(o, parseState(c.state?.text ?? ''), after, new Date(now()));
    c.state = next;
    if (body) {
      send(c, sse('decisions', next.id, body));
      deps.onEvent?.('decisions');
    }
  }

  function pump(): void {
    while (active < concurrency && queue.length) {
      const c = queue.shift()!;
      if (c.closed) continue;
      active++;
      c.running = true;
      evaluate(c)
        .catch((err) => deps.logger.debug({ err: (err as Error).message }, 'stream re-evaluation failed'))
        .finally(() => {
          active--;
          c.running = false;
          if (c.pending && !c.closed) {
            c.pending = false;
            queue.push(c);
          }
          pump();
        });
    }
  }

  /** Queues a re-evaluation (coalesced: one runs at a time per connection, one more may follow). */
  function schedule(c: Conn): void {
    if (c.closed) return;
    if (c.running) c.pending = true;
    else if (!queue.includes(c)) queue.push(c);
  }

  function refetch(projectId: number): void {
    const subs = ofrep.get(projectId);
    if (!subs?.size) return;
    const snap = deps.snapshots.peek(projectId);
    // ADR-0008: `lastModified` in Unix seconds (recommended); the provider passes both back as
    // query metadata (flagConfigEtag, flagConfigLastModified) and still sends If-None-Match.
    const msg = sse('message', null, JSON.stringify({ type: 'refetchEvaluation', etag: snap ? `"v${snap.version}"` : undefined, lastModified: Math.floor(now() / 1000) }));
    for (const s of subs) s.write(msg);
    deps.onEvent?.('refetch');
  }

  function onLive(m: LiveMessage): void {
    if (m.kind === 'project') {
      for (const c of byProject.get(m.projectId) ?? []) schedule(c);
    } else {
      for (const id of m.personIds) for (const c of byPerson.get(`${m.projectId}:${id}`) ?? []) schedule(c);
      for (const d of m.distinctIds) for (const c of byDistinctId.get(`${m.projectId}:${d}`) ?? []) schedule(c);
    }
    refetch(m.projectId);
    pump();
  }

  function checkVersions(): void {
    for (const projectId of new Set([...byProject.keys(), ...ofrep.keys()])) {
      const v = deps.snapshots.peek(projectId)?.version;
      if (v === undefined) continue;
      const seen = seenVersion.get(projectId);
      if (seen === v) continue;
      seenVersion.set(projectId, v);
      if (seen === undefined) continue;
      for (const c of byProject.get(projectId) ?? []) schedule(c);
      refetch(projectId);
    }
    pump();
  }

  return {
    /** open streams in this process */
    size: () => {
      let n = 0;
      for (const s of byProject.values()) n += s.size;
      return n;
    },

    /**
     * Registers a stream and answers its first event: `handshake` (the full answer, rendered by
     * the caller from the outcome) or, on a resume from a remembered state, `decisions` with the
     * difference (nothing at all when nothing changed). Returns an unregister function.
     */
    async open(conn: StreamConnection, lastEventId: string | null, render: (o: DecideOutcome) => string): Promise<() => void> {
      const c: Conn = Object.assign(conn, { personId: null, state: null, running: true, pending: false, closed: false });
      add(byProject, c.projectId, c);
      add(byDistinctId, `${c.projectId}:${c.distinctId}`, c);
      if (c.anonId) add(byDistinctId, `${c.projectId}:${c.anonId}`, c);
      const unregister = () => {
        if (c.closed) return;
        c.closed = true;
        remove(byProject, c.projectId, c);
        remove(byDistinctId, `${c.projectId}:${c.distinctId}`, c);
        if (c.anonId) remove(byDistinctId, `${c.projectId}:${c.anonId}`, c);
        if (c.personId !== null) remove(byPerson, `${c.projectId}:${c.personId}`, c);
        if (!byProject.has(c.projectId) && !ofrep.has(c.projectId)) seenVersion.delete(c.projectId);
      };
      try {
        const o = await deps.decide.decide({ projectId: c.projectId, distinctId: c.distinctId, anonId: c.anonId });
        if (!seenVersion.has(c.projectId)) seenVersion.set(c.projectId, o.snapshot.version);
        index(c, o.personId);
        const m = stateOf(o);
        const resumed = lastEventId ? states.get(`${c.projectId}:${lastEventId}`) : undefined;
        const next = o.degraded ? { id: '', text: '' } : intern(c.projectId, m);
        c.state = o.degraded ? null : next;
        if (resumed !== undefined) {
          const body = next.id === lastEventId ? null : changes(o, parseState(resumed), m, new Date(now()));
          if (body) send(c, sse('decisions', next.id || null, body));
          deps.onEvent?.('resumed');
        } else {
          send(c, sse('handshake', next.id || null, render(o)));
          deps.onEvent?.('handshake');
        }
      } catch (err) {
        unregister();
        throw err;
      } finally {
        c.running = false;
      }
      if (c.pending) {
        c.pending = false;
        schedule(c);
        pump();
      }
      return unregister;
    },

    /** Registers an OFREP change stream (project-wide `refetchEvaluation` messages). */
    openOfrep(conn: OfrepConn): () => void {
      add(ofrep, conn.projectId, conn);
      if (!seenVersion.has(conn.projectId)) {
        const v = deps.snapshots.peek(conn.projectId)?.version;
        if (v !== undefined) seenVersion.set(conn.projectId, v);
      }
      return () => remove(ofrep, conn.projectId, conn);
    },

    /** Re-evaluates every stream of a project now (tests; a local change). */
    touchProject(projectId: number): void {
      onLive({ kind: 'project', projectId });
    },

    async start(): Promise<void> {
      if (deps.live) {
        unsubscribe = await deps.live.subscribe(onLive).catch((err) => {
          deps.logger.warn({ err: (err as Error).message }, 'live change subscription failed; streams follow definition changes only');
          return null;
        });
      }
      heartbeat = setInterval(() => {
        const beat = `: heartbeat ${now()}\n\n`;
        for (const set of byProject.values()) for (const c of set) send(c, beat);
        for (const set of ofrep.values()) for (const c of set) c.write(beat);
      }, deps.heartbeatMs);
      heartbeat.unref();
      check = setInterval(checkVersions, deps.checkMs ?? 50);
      check.unref();
    },

    async stop(): Promise<void> {
      if (heartbeat) clearInterval(heartbeat);
      if (check) clearInterval(check);
      heartbeat = check = null;
      if (unsubscribe) await unsubscribe();
      for (const set of [...byProject.values()]) for (const c of [...set]) c.close();
      for (const set of [...ofrep.values()]) for (const c of [...set]) c.close();
    },
  };
}

export type StreamHub = ReturnType<typeof createStreamHub>;
