/**
 * A separate process that queues events it cannot deliver (the host is down) into file
 * storage and then waits to be killed: the delivery test's "process restart".
 * argv: <storage file> <host> <token> <count>
 */
import { createClient, fileStorage } from '../../src/node.js';

const [file, host, token, count] = process.argv.slice(2);
const client = createClient(token, { host, storage: fileStorage(file), timeoutMs: 200, refreshIntervalMs: 0, flushIntervalMs: 10, retryBaseMs: 10_000 });
for (let i = 0; i < Number(count); i++) client.track('restart test', { n: i });
setTimeout(() => {
  console.log(`queued ${client.stats().queued}`);
  setInterval(() => {}, 1000); // stay alive until killed
}, 50);
