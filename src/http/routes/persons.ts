import type { Request } from 'express';
import type { RouteModule } from '../app.js';
import type { PersonProfile, PersonReadService } from '../../services/person-read.js';

/**
 * Adds fields to the person read (e.g. `cohorts`, `decisions`): gets the profile and the
 * request (query, admin principal) and returns the extra top-level fields of the body.
 */
export type PersonSection = (ctx: { projectId: number; distinctId: string; profile: PersonProfile; req: Request }) => Promise<Record<string, unknown>>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The declared response body of the person read; times are ISO 8601. */
export function personBody(p: PersonProfile) {
  return {
    person: {
      id: p.person.id,
      bucketing_key: p.person.bucketingKey,
      properties: p.person.properties,
      identified: p.person.identified,
      first_seen: iso(p.person.firstSeen),
      last_seen: iso(p.person.lastSeen),
      event_count: p.person.eventCount,
    },
    distinct_ids: p.distinctIds,
    stats: {
      event_count: p.stats.eventCount,
      first_seen: iso(p.stats.firstSeen),
      last_seen: iso(p.stats.lastSeen),
      events_by_name: Object.fromEntries(p.stats.eventsByName.map((e) => [e.event, e.count])),
    },
  };
}

/**
 * `GET /v1/projects/:project/persons/:distinct_id` (admin key): profile, distinct ids and
 * stats, plus whatever the registered sections add (the array may grow after wiring).
 */
export function personRoutes(deps: { persons: Pick<PersonReadService, 'profile'>; sections?: readonly PersonSection[] }): RouteModule {
  return (app, auth) => {
    app.get('/v1/projects/:project/persons/:distinct_id', auth.requireAdminProject, async (req, res) => {
      const projectId = req.adminProject!.id;
      const distinctId = String(req.params.distinct_id);
      const profile = await deps.persons.profile(projectId, distinctId);
      let body: Record<string, unknown> = personBody(profile);
      for (const section of deps.sections ?? []) body = { ...body, ...(await section({ projectId, distinctId, profile, req })) };
      res.json(body);
    });
  };
}
