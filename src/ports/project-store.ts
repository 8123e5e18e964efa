import type { Project, Tier } from '../domain/project.js';

/** A change to a project; `allowedOrigins` null sets "any origin", undefined leaves it. */
export interface ProjectPatch {
  name?: string;
  tier?: Tier;
  allowedOrigins?: string[] | null;
  /** null: keep events forever; undefined leaves it */
  eventRetentionDays?: number | null;
  /** IANA time zone name; undefined leaves it */
  timeZone?: string;
}

/** Projects (PRODUCT.md 2). */
export interface ProjectStore {
  insert(name: string, tier: Tier, token: string): Promise<Project>;
  get(id: number): Promise<Project | null>;
  byToken(token: string): Promise<Project | null>;
  /** keyset page by id; `projectIds` null means every project */
  list(projectIds: number[] | null, afterId: number, limit: number): Promise<Project[]>;
  /** also marks the project's definitions changed (tier changes cohort schedules) */
  update(id: number, patch: ProjectPatch): Promise<Project | null>;
  all(): Promise<Project[]>;
}
