import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubSecrets } from '../../../src/logging.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  return { lines, logger: createLogger('debug', stream) };
}

const token = 'sbp_' + 'A'.repeat(32);
const secret = 'sba_' + 'b'.repeat(43);

describe('the logger keeps secrets out of log lines', () => {
  it('redacts credentials by path', () => {
    const { lines, logger } = capture();
    logger.info({ headers: { authorization: `Bearer ${secret}`, 'x-api-key': token }, token, body: { token } }, 'request');
    logger.info({ config: { DATABASE_URL: 'postgres://u:pw@h/db', INIT_ADMIN_KEY: secret } }, 'config');
    const all = lines.join('');
    expect(all).not.toContain(secret);
    expect(all).not.toContain(token);
    expect(all).not.toContain('pw@h');
    expect(all).toContain('[redacted]');
  });

  it('scrubs tokens an error message quotes back', () => {
    const { lines, logger } = capture();
    const err = Object.assign(new Error(`duplicate key value: Key (token)=(${token}) already exists`), { detail: `Key (token)=(${token})` });
    logger.error({ err }, 'insert failed');
    const all = lines.join('');
    expect(all).not.toContain(token);
    expect(all).toContain('sbp_AAAA…[redacted]');
  });

  it('leaves prefixes and ordinary text alone', () => {
    expect(scrubSecrets('admin_key:3:sba_Ab12 did it')).toBe('admin_key:3:sba_Ab12 did it');
    expect(scrubSecrets(`x ${secret} y`)).toBe('x sba_bbbb…[redacted] y');
  });
});
