import type { IncomingMessage } from 'node:http';
import { AppError } from '../../errors.js';

/**
 * Reads a request body of at most `limit` bytes and parses it as JSON, with the same error
 * messages as express.json (400 malformed, 413 too large). Bodies with a Content-Encoding are
 * not handled here: the fast path leaves those to express.
 */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const text = await readBody(req, limit);
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AppError('invalid_request', `body: malformed JSON (${(err as Error).message})`);
  }
}

/** Reads a request body of at most `limit` bytes as UTF-8 text (413 past it, as express). */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      req.resume();
      reject(new AppError('payload_too_large', `body: larger than the limit of ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new AppError('payload_too_large', `body: larger than the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err) => {
      if (!failed) reject(new AppError('invalid_request', `body: ${err.message}`));
      failed = true;
    });
    req.on('end', () => {
      if (failed) return;
      resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
  });
}
