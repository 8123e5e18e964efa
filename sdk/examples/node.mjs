// The Node quick start: decisions, login continuity and tracking against a running API.
// Usage: npm run build:sdk && SWITCHBOARD_TOKEN=sbp_... node sdk/examples/node.mjs
import { createClient, fileStorage } from '../dist/node.js';

const sb = createClient(process.env.SWITCHBOARD_TOKEN, {
  host: process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:3000',
  storage: fileStorage('.switchboard/state.json'), // anonymous id, decisions and the event queue survive restarts
});
await sb.ready();
console.log('anonymous', sb.distinctId(), 'new-checkout:', sb.isEnabled('new-checkout', false), sb.getDecision('new-checkout').reason);
sb.track('viewed pricing', { plan: 'pro' });
await sb.identify('alice@example.com', { plan: 'pro' }); // /v1/alias once, then a handshake with anon_id
console.log('identified', sb.distinctId(), 'new-checkout:', sb.isEnabled('new-checkout', false));
sb.people.add({ logins: 1 });
await sb.close(); // flushes the queue
console.log(sb.stats());
