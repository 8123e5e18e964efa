import type { StaticMember } from '../domain/cohort.js';
import type { Db } from './db.js';

/** The distinct_id lists of static cohorts (PRODUCT.md 6.1). `ids` are unique. */
export interface StaticMemberStore {
  /** inserts ids not listed yet; returns how many were new */
  add(projectId: number, cohortId: number, ids: string[], db?: Db): Promise<number>;
  /** deletes the listed ids; returns how many were members */
  remove(projectId: number, cohortId: number, ids: string[], db?: Db): Promise<number>;
  /** deletes every member not in `ids`; returns how many went */
  removeOthers(projectId: number, cohortId: number, ids: string[], db?: Db): Promise<number>;
  count(projectId: number, cohortId: number, db?: Db): Promise<number>;
  /** how many of `ids` have no person yet */
  countUnseen(projectId: number, ids: string[], db?: Db): Promise<number>;
  /** deletes these ids from every static cohort's list (GDPR erasure); returns how many rows went */
  removeEverywhere(db: Db, projectId: number, ids: readonly string[]): Promise<number>;
  /** keyset page ordered by distinct_id, each with its person if seen */
  list(projectId: number, cohortId: number, afterDistinctId: string | null, limit: number): Promise<StaticMember[]>;
  /** persons of the listed ids (unique), and the listed ids without a person yet */
  resolve(projectId: number, cohortId: number): Promise<{ personIds: number[]; unseen: string[] }>;
  /** building or active static cohorts (paused ones are frozen) listing any of `ids`: cohort id -> the listed ids among them */
  cohortsListing(projectId: number, ids: string[]): Promise<Map<number, string[]>>;
}
