import type { CliComposition } from '../composition.js';
import type { DemoClient, HandshakeBody } from './demo-http.js';
import { compareLines, handshakeLines } from './demo-print.js';

/**
 * Real customers of the UCI data set, picked for what the demo rules do with them. Why each
 * was picked is true of the raw data when the newest invoice is "now"; the membership line
 * printed beside it is read live from Redis, so it stays honest as windows move.
 */
export const NAMED_CUSTOMERS: ReadonlyArray<{ id: string; why: string }> = [
  { id: '12662', why: 'a customer in Germany who bought often in the last 30 days' },
  { id: '17402', why: 'a frequent buyer in the United Kingdom with no recent refund, inside the 50 % rollout of new-checkout' },
  { id: '17011', why: 'another such frequent buyer, outside the 50 % rollout (bucket 85,018 of 100,000)' },
  { id: '14606', why: 'a customer outside Germany with a refund in the last 90 days' },
];

/** A pinned internal account (rules/demo/cohorts/support-pins.csv): illustrative, never in the data. */
export const PINNED_ACCOUNT = { id: 'support-agent-ana', why: 'a support account pinned in rules/demo/cohorts/support-pins.csv; never seen in the data, a member from its first handshake' };

/** The customer an anonymous visitor turns out to be in the second alias scenario. */
const RETURNING_CUSTOMER = '12662';

async function membershipLine(c: CliComposition, client: DemoClient, projectId: number, distinctId: string): Promise<string> {
  const person = await client.person(projectId, distinctId).catch(() => null);
  // The service's own answer when it knows the person (in memory mode only the service sees
  // membership); else this command's read of the same store.
  const cohorts = person?.cohorts ?? (await c.cohortsOfPerson(projectId, null, [distinctId]));
  const country = person ? `country ${String(person.person.properties.country ?? '(not set)')}` : 'no person yet';
  return `    ${country}; member of: ${cohorts.map((k) => k.key).join(', ') || 'no cohort'}`;
}

async function show(c: CliComposition, client: DemoClient, projectId: number, title: string, distinctId: string): Promise<HandshakeBody> {
  const body = await client.decide(distinctId);
  console.log(`\n  ${title}`);
  console.log(await membershipLine(c, client, projectId, distinctId));
  for (const line of handshakeLines(body)) console.log(line);
  return body;
}

/** Handshakes (POST /v1/decide over HTTP) for the named customers. */
export async function namedHandshakes(c: CliComposition, client: DemoClient, projectId: number): Promise<void> {
  for (const n of NAMED_CUSTOMERS) await show(c, client, projectId, `customer ${n.id}: ${n.why}`, n.id);
  await show(c, client, projectId, `account ${PINNED_ACCOUNT.id}: ${PINNED_ACCOUNT.why}`, PINNED_ACCOUNT.id);
}

const FLAGD_NOTE =
  '    (recommendations-v2 is a flagd-format flag: like flagd, its fractional split hashes flagKey + targetingKey, the id the client sends, so it follows the id, not the person; native rules bucket by the person\'s bucketing key)';

/**
 * Identity continuity (PRODUCT.md 4.3, 5), with ids unique to this run:
 * 1. an anonymous visitor signs up as a new identified id: the person keeps its bucketing
 *    key (the anonymous id), so every native variant stays the same;
 * 2. another anonymous visitor turns out to be an existing customer: the anonymous id joins
 *    the customer's person, and its decisions become the customer's (their cohorts, their key).
 */
export async function aliasScenarios(c: CliComposition, client: DemoClient, projectId: number, runId: string): Promise<void> {
  const anon = `anon-${runId}`;
  const user = `web-user-${runId}`;
  const before = await show(c, client, projectId, `anonymous visitor ${anon} (never seen: buckets by its own id)`, anon);
  const linked = await client.alias(user, anon);
  console.log(`\n  POST /v1/alias {distinct_id: ${user}, alias: ${anon}} -> person ${linked.person_id}, bucketing_key ${linked.bucketing_key}, merged: ${linked.merged}`);
  const after = await show(c, client, projectId, `the same visitor, now signed up as ${user}`, user);
  console.log(`\n  variants of ${anon} -> ${user}:`);
  for (const line of compareLines(before, after)) console.log(line);
  if (before.flags['recommendations-v2']?.variant !== after.flags['recommendations-v2']?.variant) console.log(FLAGD_NOTE);

  const anon2 = `anon-${runId}-b`;
  const before2 = await show(c, client, projectId, `anonymous visitor ${anon2} on a new device`, anon2);
  const joined = await client.alias(RETURNING_CUSTOMER, anon2);
  console.log(`\n  POST /v1/alias {distinct_id: ${RETURNING_CUSTOMER}, alias: ${anon2}} -> person ${joined.person_id}, bucketing_key ${joined.bucketing_key}, merged: ${joined.merged}`);
  const after2 = await show(c, client, projectId, `${anon2} after logging in as customer ${RETURNING_CUSTOMER}: it is that customer now`, anon2);
  console.log(`\n  variants of ${anon2} before -> after logging in (the returning customer keeps the arms of their account):`);
  for (const line of compareLines(before2, after2)) console.log(line);
}
