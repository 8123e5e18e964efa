/**
 * Read-your-writes on the hot path (docs/read-your-writes.md), tinybench, no I/O: what a
 * handshake without a token pays (`consistencyAsk` finding nothing), and what one with a
 * token pays when this process's cached watermark already covers it (parse + cache hit).
 * `npx tsx bench/consistency.ts` — about 5 s.
 */
import { pino } from 'pino';
import { Bench } from 'tinybench';
import { createMemoryConsistencyStore } from '../src/adapters/memory/consistency-store.js';
import { consistencyAsk } from '../src/http/edge/consistency.js';
import { createConsistency } from '../src/services/consistency.js';

const limits = { defaultWaitMs: 500, maxWaitMs: 5_000 };
const headers = { host: '127.0.0.1:3000', 'content-type': 'application/json', authorization: 'Bearer sbp_0123456789abcdef', 'content-length': '40', connection: 'keep-alive' };
const body = { distinct_id: 'user-123', anon_id: 'anon-9' };

const store = createMemoryConsistencyStore({ abandonMs: 30_000 });
const consistency = createConsistency({ store, logger: pino({ level: 'silent' }) });
const { token } = await consistency.track(1, async () => null);
await consistency.idle();
await consistency.awaitToken(consistencyAsk(1, headers, '/v1/decide', { ...body, min_token: token }, limits)!.token, 0, 'body.min_token'); // warm the cache
const withToken = { ...body, min_token: token };

const bench = new Bench({ time: 1_500 });
bench
  .add('no token: consistencyAsk finds nothing (the added cost of every handshake)', () => {
    if (consistencyAsk(1, headers, '/v1/decide', body, limits) !== null) throw new Error('unexpected');
  })
  .add('token in the body: parse + cached watermark (no Redis)', async () => {
    const ask = consistencyAsk(1, headers, '/v1/decide', withToken, limits)!;
    await consistency.awaitToken(ask.token, ask.waitMs, ask.field);
  });
await bench.run();
// tinybench reports ms; a mean over many calls is the figure (single calls sit below the timer's resolution).
for (const t of bench.tasks) {
  const r = t.result as { throughput?: { mean?: number } } | undefined;
  const opsPerS = r?.throughput?.mean ?? Number.NaN;
  console.log(`${t.name}: ${(1e9 / opsPerS).toFixed(0)} ns per call (${Math.round(opsPerS).toLocaleString('en')} calls/s)`);
}
await consistency.stop();
