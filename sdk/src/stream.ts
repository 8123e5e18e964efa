/**
 * The decision stream (`GET /v1/stream`, docs/stream.md) read with fetch, so the project token
 * travels as a header in browsers and Node alike: `handshake` and `decisions` events go to
 * `onEvent`; a dropped connection is resumed with `Last-Event-ID` after a backoff (1 s doubling
 * to 60 s); no data for 45 s (three missed heartbeats) counts as dropped. A server without the
 * stream (404) stops it for good: the client keeps polling. Never throws.
 */
export interface StreamDeps {
  url: () => string;
  token: string;
  fetchFn: typeof fetch | undefined;
  onEvent: (type: string, data: unknown) => void;
  /** true while connected; the client polls only while it is false */
  onState: (up: boolean) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createStream(deps: StreamDeps) {
  let ctl: AbortController | undefined;
  let lastId: string | null = null;
  let gen = 0;
  let closed = false;

  /** Reads one SSE block (RFC: WHATWG HTML, server-sent events, "event stream interpretation"). */
  function block(text: string): void {
    let type = 'message';
    let data = '';
    let id: string | null = null;
    for (const line of text.split(/\r?\n/)) {
      if (line === '' || line[0] === ':') continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'data') data += (data ? '\n' : '') + value;
      else if (field === 'id') id = value;
    }
    if (!data) return;
    if (id) lastId = id;
    try {
      deps.onEvent(type, JSON.parse(data));
    } catch {
      // not JSON: not ours
    }
  }

  async function run(g: number): Promise<void> {
    let retryMs = 1000;
    while (!closed && g === gen && typeof deps.fetchFn === 'function' && typeof AbortController === 'function') {
      const c = (ctl = new AbortController());
      let watchdog: ReturnType<typeof setTimeout> | undefined;
      const arm = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => c.abort(), 45_000);
        (watchdog as { unref?: () => void }).unref?.();
      };
      try {
        const headers: Record<string, string> = { Accept: 'text/event-stream', Authorization: `Bearer ${deps.token}` };
        if (lastId) headers['Last-Event-ID'] = lastId;
        arm();
        const res = await deps.fetchFn(deps.url(), { headers, signal: c.signal, credentials: 'omit' });
        if (res.status === 404) return; // this server has no stream: polling only
        if (res.status !== 200 || !res.body) throw new Error(`HTTP ${res.status}`);
        deps.onState(true);
        retryMs = 1000;
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let buf = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          arm();
          buf += dec.decode(value, { stream: true });
          let end = buf.search(/\r?\n\r?\n/);
          while (end >= 0) {
            block(buf.slice(0, end));
            buf = buf.slice(buf[end] === '\r' ? end + 4 : end + 2);
            end = buf.search(/\r?\n\r?\n/);
          }
        }
      } catch {
        // dropped, refused or aborted: retried below
      } finally {
        clearTimeout(watchdog);
      }
      if (g !== gen || closed) return;
      deps.onState(false);
      await sleep(retryMs);
      retryMs = Math.min(retryMs * 2, 60_000);
    }
  }

  return {
    /** (Re)connects for the current identity, from scratch. */
    restart(): void {
      gen++;
      lastId = null;
      ctl?.abort();
      void run(gen);
    },
    close(): void {
      closed = true;
      gen++;
      ctl?.abort();
      deps.onState(false);
    },
  };
}
