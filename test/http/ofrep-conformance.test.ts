/**
 * Runs the flagd conformance corpus (test/cases/flagd/*.json) through OFREP over HTTP: each
 * case's flags are created through the admin API as flagd-format definitions (one project
 * per distinct document), then the case's context is sent as an OpenFeature OFREP client
 * sends it, and the answer is compared with what flagd's OFREP service answers.
 *
 * Every case must agree (see the core runner, test/unit/core/flagd-conformance.test.ts).
 *   FLAGD_CONFORMANCE_WHY=<file> writes every disagreement and its reason to <file> (JSON)
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { bodyMismatch, caseId, definitionsOf, disagreement, loadCorpus, type FlagdCase } from '../helpers/flagd-corpus.js';


let t: TestContext;

interface Setup {
  bearer: { Authorization: string };
  /** why the admin API refused one of the document's flags, or null */
  refused: string | null;
}

const setups = new Map<string, Promise<Setup>>();

/** A project holding the case's flags, shared by every case with the same document. */
function setupFor(c: FlagdCase): Promise<Setup> {
  const definitions = definitionsOf(c);
  const groupKey = JSON.stringify(definitions);
  let setup = setups.get(groupKey);
  if (setup === undefined) {
    setup = (async () => {
      const project = await t.newProject('flagd-conformance');
      let refused: string | null = null;
      for (const def of definitions) {
        const res = await t.http.post(`/v1/projects/${project.id}/flags`).set(t.admin).send(def);
        if (res.status !== 201) refused = `admin API answered ${res.status} for ${JSON.stringify(def.key)}: ${JSON.stringify(res.body).slice(0, 300)}`;
      }
      return { bearer: project.bearer, refused };
    })();
    setups.set(groupKey, setup);
  }
  return setup;
}

/** The OFREP answer flagd gives, as a status and the fields of the body that must match. */
function expectedHttp(c: FlagdCase): { status: number; body: Record<string, unknown>; absent: string[] } {
  if (c.ofrep) return { status: c.ofrep.status, body: c.ofrep.body, absent: c.ofrep.absent ?? [] };
  const e = c.expected;
  const key = c.requestKey ?? c.flagKey;
  if (e.reason === 'ERROR') {
    return { status: e.errorCode === 'FLAG_NOT_FOUND' ? 404 : 400, body: { key, errorCode: e.errorCode, ...(e.metadata ? { metadata: e.metadata } : {}) }, absent: [] };
  }
  const body: Record<string, unknown> = { key, reason: e.reason };
  const absent: string[] = [];
  if ('value' in e) {
    if (e.value === null) absent.push('value');
    else body.value = e.value;
  }
  if ('variant' in e) {
    if (e.variant === null) absent.push('variant');
    else body.variant = e.variant;
  }
  if (e.metadata) body.metadata = e.metadata;
  return { status: 200, body, absent };
}

/** Compares a bulk answer's `flags` entry by entry (matched by key), the rest field by field. */
function mismatch(expected: Record<string, unknown>, actual: unknown): string | null {
  const { flags, ...rest } = expected;
  const top = bodyMismatch(rest, actual);
  if (top || !Array.isArray(flags)) return top;
  const got = (actual as { flags?: { key?: string }[] }).flags ?? [];
  for (const want of flags as { key: string }[]) {
    const entry = got.find((g) => g.key === want.key);
    if (!entry) return `flags: no entry for ${JSON.stringify(want.key)}`;
    const inner = bodyMismatch(want, entry, `flags[${want.key}].`);
    if (inner) return inner;
  }
  return null;
}

/** Why Switchboard's OFREP answer differs from flagd's, or null. */
async function ofrepDisagreement(c: FlagdCase): Promise<string | null> {
  const setup = await setupFor(c);
  if (c.expected.loadError !== undefined && !c.ofrep) {
    return setup.refused !== null ? null : `flagd refuses this document (${c.expected.loadError}); the admin API accepted it`;
  }
  if (setup.refused !== null) return setup.refused;
  const path = c.bulk ? '/ofrep/v1/evaluate/flags' : `/ofrep/v1/evaluate/flags/${encodeURIComponent(c.requestKey ?? c.flagKey)}`;
  const request = t.http.post(path).set(setup.bearer);
  const res = c.ofrep?.request
    ? await request.set('Content-Type', 'application/json').send(c.ofrep.request.raw)
    : await request.send(c.context === undefined ? {} : { context: c.context });
  const want = expectedHttp(c);
  if (res.status !== want.status) return `expected HTTP ${want.status}, got ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
  const why = mismatch(want.body, res.body);
  if (why) return why;
  for (const field of want.absent) if (res.body && field in res.body) return `${field} should be absent, got ${JSON.stringify(res.body[field])}`;
  for (const key of c.absentMetadataKeys ?? []) if (res.body?.metadata && key in res.body.metadata) return `metadata.${key} should be absent`;
  if (!c.ofrep && !c.bulk && want.status === 200) {
    // The body matched field by field; say so in the shared vocabulary too.
    const answer = { value: res.body.value ?? null, variant: res.body.variant ?? null, reason: res.body.reason, metadata: res.body.metadata };
    const again = disagreement({ ...c.expected, metadata: undefined }, answer);
    if (again) return again;
  }
  return null;
}

const corpus = loadCorpus();
const outcomes = new Map<string, string | null>();

beforeAll(async () => {
  t = await createTestContext();
  // Create every case's project up front, a few at a time, so the cases only send requests.
  const pending = corpus.flatMap((f) => f.cases);
  const worker = async () => {
    for (let c = pending.shift(); c !== undefined; c = pending.shift()) await setupFor(c);
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}, 300_000);

for (const f of corpus) {
  describe(`flagd conformance (OFREP): ${f.file}`, () => {
    for (const c of f.cases) {
      const id = caseId(f.file, c);
      it(c.name, async () => {
        const why = await ofrepDisagreement(c);
        outcomes.set(id, why);
        if (why !== null) throw new Error(why);
      });
    }
  });
}

afterAll(async () => {
  const failing = [...outcomes].filter(([, why]) => why !== null).map(([id]) => id);
  console.log(`flagd conformance (OFREP): ${outcomes.size - failing.length} of ${outcomes.size} cases agree with flagd`);
  if (process.env.FLAGD_CONFORMANCE_WHY) writeFileSync(process.env.FLAGD_CONFORMANCE_WHY, JSON.stringify([...outcomes].filter(([, w]) => w), null, 1));
  await t?.cleanup();
});
