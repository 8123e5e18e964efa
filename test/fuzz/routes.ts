/**
 * Every route of the API (src/compose/api.ts, src/compose/console.ts, src/http/routes/*.ts,
 * the handshake's node:http fast path), with what a well-behaved client sends to it: the
 * fuzz cases start from these and make one part hostile at a time. Keep this table in step
 * with the routes: a route missing here is a route nobody fuzzes.
 */

/** The state the fuzz runs against (world.ts builds it). */
export interface World {
  projectId: number;
  token: string;
  adminKey: string;
  /** an admin key scoped to another project only */
  otherKey: string;
  otherProjectId: number;
  flags: string[];
  configs: string[];
  surveys: string[];
  staticCohorts: string[];
  dynamicCohorts: string[];
  persons: string[];
}

export type Auth = 'admin' | 'token' | 'ofrep' | 'none';
/** The error body a 4xx must have: ours, OFREP's, or any (the console's static files). */
export type Shape = 'api' | 'ofrep' | 'console';

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** express-style template */
  path: string;
  auth: Auth;
  shape: Shape;
  /** how often it is picked, relative to the others of its suite */
  weight: number;
  /** the body limit of the route's parser, bytes (0: no body parser) */
  limit: number;
  /** a valid body, from which cases mutate one field */
  body?: (w: World) => unknown;
  /** accepts text/csv too */
  csv?: boolean;
  /** known query parameters and valid values */
  query?: Record<string, string[]>;
}

const KB = 1024;
const MB = 1024 * KB;
const page = { limit: ['1', '50', '500'], cursor: ['1', '10'] };
const now = () => Date.now();

const flagBody = (key = 'fz-flag') => ({
  key,
  enabled: true,
  variants: { control: { value: 'control' }, treatment: { value: 'treatment', payload: { color: 'blue' } } },
  default_variant: 'control',
  off_variant: 'control',
  rules: [
    { id: 'de', cohorts: { any: ['de'] }, condition: { '==': [{ var: 'plan' }, 'pro'] }, serve: { variant: 'treatment' } },
    { id: 'half', rollout: 50, serve: { split: [{ variant: 'control', weight: 50 }, { variant: 'treatment', weight: 50 }] } },
  ],
});
const configBody = (key = 'fz-config') => ({
  key,
  schema: { type: 'object', properties: { limit: { type: 'integer', minimum: 1 } }, required: ['limit'] },
  default: { limit: 10 },
  rules: [{ id: 'vip', condition: { in: ['vip', { var: 'tags' }] }, serve: { value: { limit: 50 } } }],
});
const surveyBody = (key = 'fz-survey') => ({ key, name: 'NPS', enabled: true, questions: [{ id: 'q1', type: 'rating', question: 'How likely?', scale: 10 }] });
const dynamicCohort = (key = 'fz-cohort') => ({
  key,
  name: 'Fuzz',
  kind: 'dynamic',
  definition: {
    type: 'AND',
    values: [
      { type: 'person', key: 'country', operator: 'eq', value: 'DE' },
      { type: 'behavioral', event: 'purchase', operator: 'performed', count: { op: 'gte', value: 1 }, window: { last: '30d' }, where: [{ key: 'amount', operator: 'gt', value: 5 }] },
      { type: 'person', key: 'email', operator: 'regex', value: '^[a-z]+@example\\.com$' },
      { type: 'cohort', key: 'pins', operator: 'in', negate: true },
    ],
  },
  refresh_interval_s: 3600,
});

/** Public endpoints (project token) and the unauthenticated ones. */
export const PUBLIC_ROUTES: Route[] = [
  {
    method: 'POST', path: '/v1/decide', auth: 'token', shape: 'api', weight: 10, limit: 256 * KB,
    body: () => ({ distinct_id: 'alice', anon_id: 'anon-1', person_properties: { plan: 'pro', tags: ['vip'] }, context: { url: '/x' }, only: ['fz-flag', 'beta'] }),
  },
  {
    method: 'POST', path: '/v1/events', auth: 'token', shape: 'api', weight: 10, limit: 5 * MB,
    body: () => ({ events: [{ event: 'purchase', distinct_id: 'alice', time: now(), $insert_id: 'fz-1', properties: { amount: 9.5, items: ['a'] } }, { event: 'pageview', distinct_id: 'bob' }] }),
  },
  {
    method: 'POST', path: '/v1/engage', auth: 'token', shape: 'api', weight: 8, limit: 5 * MB,
    body: () => ({ updates: [{ distinct_id: 'alice', $set: { plan: 'pro', country: 'DE' }, $add: { visits: 1 } }, { distinct_id: 'bob', $union: { tags: ['vip'] }, $unset: ['old'] }] }),
  },
  { method: 'POST', path: '/v1/alias', auth: 'token', shape: 'api', weight: 5, limit: 16 * KB, body: () => ({ distinct_id: 'alice', alias: 'anon-1' }) },
  {
    method: 'POST', path: '/ofrep/v1/evaluate/flags/:flag', auth: 'ofrep', shape: 'ofrep', weight: 6, limit: 256 * KB,
    body: () => ({ context: { targetingKey: 'alice', plan: 'pro' } }),
  },
  { method: 'POST', path: '/ofrep/v1/evaluate/flags', auth: 'ofrep', shape: 'ofrep', weight: 4, limit: 256 * KB, body: () => ({ context: { targetingKey: 'alice', plan: 'pro' } }) },
  { method: 'GET', path: '/ofrep/v1/configuration', auth: 'none', shape: 'ofrep', weight: 1, limit: 0 },
  { method: 'GET', path: '/healthz', auth: 'none', shape: 'api', weight: 1, limit: 0 },
  { method: 'GET', path: '/readyz', auth: 'none', shape: 'api', weight: 1, limit: 0 },
  { method: 'GET', path: '/metrics', auth: 'none', shape: 'api', weight: 0.3, limit: 0 },
];

const P = '/v1/projects/:project';

/** The admin API (admin key) and the console's endpoints. */
export const ADMIN_ROUTES: Route[] = [
  { method: 'GET', path: '/v1/me', auth: 'admin', shape: 'api', weight: 1, limit: 0 },
  { method: 'POST', path: '/v1/projects', auth: 'admin', shape: 'api', weight: 1, limit: 100 * KB, body: () => ({ name: 'fuzzed', tier: 'pro' }) },
  { method: 'GET', path: '/v1/projects', auth: 'admin', shape: 'api', weight: 1, limit: 0, query: page },
  { method: 'GET', path: P, auth: 'admin', shape: 'api', weight: 1, limit: 0 },
  { method: 'PATCH', path: P, auth: 'admin', shape: 'api', weight: 1, limit: 100 * KB, body: () => ({ name: 'renamed', tier: 'pro' }) },
  { method: 'GET', path: `${P}/keys`, auth: 'admin', shape: 'api', weight: 1, limit: 0 },
  { method: 'POST', path: `${P}/keys`, auth: 'admin', shape: 'api', weight: 1, limit: 100 * KB, body: (w) => ({ name: 'fz', project_ids: [w.projectId] }) },
  { method: 'DELETE', path: `${P}/keys/:keyId`, auth: 'admin', shape: 'api', weight: 1, limit: 0 },

  { method: 'POST', path: `${P}/cohorts`, auth: 'admin', shape: 'api', weight: 3, limit: 100 * KB, body: () => dynamicCohort() },
  { method: 'GET', path: `${P}/cohorts`, auth: 'admin', shape: 'api', weight: 1, limit: 0, query: { ...page, include_archived: ['true', 'false'], search: ['pin', 'Pro%20users'] } },
  { method: 'GET', path: `${P}/cohorts/:cohort`, auth: 'admin', shape: 'api', weight: 2, limit: 0 },
  { method: 'PATCH', path: `${P}/cohorts/:cohort`, auth: 'admin', shape: 'api', weight: 2, limit: 100 * KB, body: () => ({ name: 'Renamed', definition: dynamicCohort().definition, refresh_interval_s: 600, definition_version: 1 }) },
  { method: 'GET', path: `${P}/cohorts/:cohort/members`, auth: 'admin', shape: 'api', weight: 1, limit: 0, query: { limit: ['1', '100', '1000'], cursor: ['YWxpY2U'] } },
  { method: 'GET', path: `${P}/cohorts/:cohort/members/export`, auth: 'admin', shape: 'api', weight: 0.5, limit: 0 },
  { method: 'POST', path: `${P}/cohorts/:cohort/members`, auth: 'admin', shape: 'api', weight: 2, limit: 16 * MB, csv: true, body: () => ({ distinct_ids: ['alice', 'carol', 'dave'] }) },
  { method: 'PUT', path: `${P}/cohorts/:cohort/members`, auth: 'admin', shape: 'api', weight: 1, limit: 16 * MB, csv: true, body: () => ({ distinct_ids: ['alice', 'agent-1'] }) },
  { method: 'DELETE', path: `${P}/cohorts/:cohort/members`, auth: 'admin', shape: 'api', weight: 1, limit: 16 * MB, csv: true, body: () => ({ distinct_ids: ['dave'] }) },
  { method: 'POST', path: `${P}/cohorts/:cohort/members/preview`, auth: 'admin', shape: 'api', weight: 1, limit: 16 * MB, csv: true, body: () => ({ distinct_ids: ['alice', 'zed'] }), query: { mode: ['add', 'replace', 'remove'] } },
  { method: 'POST', path: `${P}/cohorts/:cohort/refresh`, auth: 'admin', shape: 'api', weight: 1, limit: 0 },
  ...['pause', 'resume', 'archive', 'restore'].map((a): Route => ({ method: 'POST', path: `${P}/cohorts/:cohort/${a}`, auth: 'admin', shape: 'api', weight: 0.7, limit: 0 })),
  { method: 'GET', path: `${P}/cohorts/:cohort/calculations`, auth: 'admin', shape: 'api', weight: 1, limit: 0, query: page },

  ...(['flags', 'configs', 'surveys'] as const).flatMap((plural): Route[] => {
    const body = plural === 'flags' ? flagBody : plural === 'configs' ? configBody : surveyBody;
    const param = plural === 'flags' ? ':flag' : plural === 'configs' ? ':config' : ':survey';
    const routes: Route[] = [
      { method: 'GET', path: `${P}/${plural}`, auth: 'admin', shape: 'api', weight: 1, limit: 0, query: page },
      { method: 'POST', path: `${P}/${plural}`, auth: 'admin', shape: 'api', weight: 3, limit: 1 * MB, body: () => body() },
      { method: 'GET', path: `${P}/${plural}/${param}`, auth: 'admin', shape: 'api', weight: 2, limit: 0 },
      { method: 'PUT', path: `${P}/${plural}/${param}`, auth: 'admin', shape: 'api', weight: 2, limit: 1 * MB, body: () => ({ ...body(), version: 1 }) },
      { method: 'POST', path: `${P}/${plural}/${param}/kill`, auth: 'admin', shape: 'api', weight: 0.5, limit: 0 },
      { method: 'DELETE', path: `${P}/${plural}/${param}`, auth: 'admin', shape: 'api', weight: 0.5, limit: 0 },
    ];
    if (plural !== 'surveys') {
      routes.push({ method: 'POST', path: `${P}/${plural}/${param}/preview`, auth: 'admin', shape: 'api', weight: 1, limit: 1 * MB, body: () => body(), query: { sample: ['10', '1000', '5000'], examples: ['0', '20', '200'] } });
    }
    return routes;
  }),
  { method: 'GET', path: `${P}/audit`, auth: 'admin', shape: 'api', weight: 2, limit: 0, query: { ...page, entity_kind: ['flag', 'cohort'], entity_key: ['beta'], actor: ['test'] } },
  { method: 'GET', path: `${P}/persons/:distinct_id`, auth: 'admin', shape: 'api', weight: 3, limit: 0, query: { explain: ['1', 'true', '0'] } },
  { method: 'GET', path: `${P}/persons/:distinct_id/events`, auth: 'admin', shape: 'api', weight: 2, limit: 0, query: { limit: ['1', '20', '200'], cursor: ['1700000000000_1'] } },
  { method: 'GET', path: '/console', auth: 'none', shape: 'console', weight: 0.5, limit: 0 },
  { method: 'GET', path: '/console/:page', auth: 'none', shape: 'console', weight: 0.5, limit: 0 },
  { method: 'GET', path: '/console/assets/:asset', auth: 'none', shape: 'console', weight: 0.5, limit: 0 },
];

/** Valid values of each path parameter. */
export function validParams(w: World): Record<string, string[]> {
  return {
    project: [String(w.projectId)],
    flag: [...w.flags, 'nope'],
    config: [...w.configs, 'nope'],
    survey: [...w.surveys, 'nope'],
    cohort: [...w.staticCohorts, ...w.dynamicCohorts, 'nope'],
    distinct_id: [...w.persons, 'nobody', 'user%40example.com'],
    // never a real key id: revoking the fuzz's own key would turn the rest of the run into 401s
    keyId: ['999999', '123456789'],
    page: ['projects', 'index.html', 'favicon.svg'],
    asset: ['nope.js', 'index.css'],
  };
}
