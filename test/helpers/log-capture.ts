import { pino, type Logger } from 'pino';

/** One JSON log line as pino wrote it. */
export type LogLine = Record<string, unknown> & { level: number; msg?: string };

/**
 * Collects the log lines of a composition's logger (and of every child made from now on, such
 * as each request's `req.log`) in memory instead of stdout, at `level` or above. A test of a
 * context created with LOG_LEVEL=silent can so read why the server answered 500.
 * Uses pino's public symbols: the destination stream is shared by children through the
 * prototype chain.
 */
export function captureLogs(logger: Logger, level: pino.Level = 'error') {
  const lines: LogLine[] = [];
  const target = logger as unknown as Record<symbol, unknown>;
  const previousStream = target[pino.symbols.streamSym];
  const previousLevel = logger.level;
  target[pino.symbols.streamSym] = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (!line) continue;
        try {
          lines.push(JSON.parse(line) as LogLine);
        } catch {
          lines.push({ level: 0, msg: line });
        }
      }
      return true;
    },
  };
  logger.level = level;
  return {
    lines,
    /** lines logged since `mark` (an index into `lines`) */
    since: (mark: number) => lines.slice(mark),
    restore() {
      target[pino.symbols.streamSym] = previousStream;
      logger.level = previousLevel;
    },
  };
}
