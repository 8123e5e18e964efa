import type { Project } from '../domain/project.js';
import type { ProjectStore } from '../ports/project-store.js';

interface Entry {
  project: Project | null;
  fetchedAt: number;
}

export interface ProjectDirectoryOptions {
  store: Pick<ProjectStore, 'byToken'>;
  /** ms a found project is served before it is re-read in the background */
  ttlMs?: number;
  /** ms an unknown token is remembered, so bad tokens do not hit PostgreSQL each time */
  negativeTtlMs?: number;
  now?: () => number;
}

/**
 * Token -> project, in memory. The decision path never waits on PostgreSQL once a token
 * is known: an expired entry is served while it is re-read in the background, and a
 * PostgreSQL outage keeps serving the last known project.
 */
export function createProjectDirectory(opts: ProjectDirectoryOptions) {
  const ttl = opts.ttlMs ?? 30_000;
  const negativeTtl = opts.negativeTtlMs ?? 5_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<Project | null>>();

  function fetch(token: string): Promise<Project | null> {
    let p = inflight.get(token);
    if (!p) {
      p = opts.store
        .byToken(token)
        .then((project) => {
          cache.set(token, { project, fetchedAt: now() });
          return project;
        })
        .finally(() => inflight.delete(token));
      inflight.set(token, p);
    }
    return p;
  }

  return {
    /** Resolves a token; throws only when the token was never seen and PostgreSQL fails. */
    async byToken(token: string): Promise<Project | null> {
      const entry = cache.get(token);
      if (entry) {
        const age = now() - entry.fetchedAt;
        if (entry.project && age > ttl) void fetch(token).catch(() => {});
        if (entry.project || age <= negativeTtl) return entry.project;
      }
      return fetch(token);
    },
    /** Drops cached entries (after a project update). */
    invalidate(): void {
      cache.clear();
    },
  };
}

export type ProjectDirectory = ReturnType<typeof createProjectDirectory>;
