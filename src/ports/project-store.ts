import type { Project, Tier } from '../domain/project.js';

/** Projects (PRODUCT.md 2). */
export interface ProjectStore {
  insert(name: string, tier: Tier, token: string): Promise<Project>;
  get(id: number): Promise<Project | null>;
  byToken(token: string): Promise<Project | null>;
  /** keyset page by id; `projectIds` null means every project */
  list(projectIds: number[] | null, afterId: number, limit: number): Promise<Project[]>;
  /** also marks the project's definitions changed (tier changes cohort schedules) */
  update(id: number, patch: { name?: string; tier?: Tier }): Promise<Project | null>;
  all(): Promise<Project[]>;
}
