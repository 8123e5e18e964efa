import http from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One open SSE connection read by a real parser (eventsource-parser): the events so far. */
export interface SseConnection {
  status: number;
  events: EventSourceMessage[];
  /** resolves with the next event of `type` at or after index `from` */
  next(type: string, timeoutMs?: number, from?: number): Promise<EventSourceMessage>;
  /** when the `index`-th event arrived (performance.now()) */
  arrivedAt: number[];
  close(): void;
}

/** GETs an SSE endpoint with a raw node:http request (light enough for 1,000 at once). */
export function openSse(url: string, headers: Record<string, string> = {}, agent?: http.Agent): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const events: EventSourceMessage[] = [];
    const arrivedAt: number[] = [];
    const waiters: Array<() => void> = [];
    const req = http.get(url, { headers: { Accept: 'text/event-stream', ...headers }, agent: agent ?? false }, (res) => {
      const parser = createParser({
        onEvent: (e) => {
          events.push(e);
          arrivedAt.push(performance.now());
          for (const w of waiters.splice(0)) w();
        },
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => parser.feed(chunk));
      res.on('error', () => {});
      const conn: SseConnection = {
        status: res.statusCode ?? 0,
        events,
        arrivedAt,
        next(type, timeoutMs = 30_000, from = 0) {
          return new Promise((ok, fail) => {
            const timer = setTimeout(() => fail(new Error(`no ${type} event within ${timeoutMs} ms (got ${events.map((e) => e.event).join(', ')})`)), timeoutMs);
            const look = () => {
              const found = events.slice(from).find((e) => (e.event ?? 'message') === type);
              if (found) {
                clearTimeout(timer);
                ok(found);
              } else waiters.push(look);
            };
            look();
          });
        },
        close: () => req.destroy(),
      };
      resolve(conn);
    });
    req.on('error', reject);
  });
}
