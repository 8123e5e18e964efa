import type { LockedPerson, PersonDoc, PersonStatsDelta } from '../domain/person.js';
import type { Db } from './db.js';

/** Persons and their distinct ids (PRODUCT.md 2, 4, 5). Every call is scoped by project. */
export interface PersonStore {
  /** distinct_id -> person id for the ids that have a person */
  mappings(db: Db, projectId: number, distinctIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * Creates one person per id (bucketing key = that id); an id a concurrent transaction
   * mapped first keeps that mapping. Returns the ids this call mapped: id -> new person id.
   */
  createFor(db: Db, projectId: number, distinctIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * Maps every id to a person, creating persons for unseen ids, and locks those persons.
   * Returns id -> person id and the created ones (person id -> its id).
   */
  ensureAndLock(db: Db, projectId: number, distinctIds: readonly string[]): Promise<{ byDid: Map<string, number>; created: Map<number, string> }>;
  /** adds one batch's stats; returns person id -> new version (µs) */
  addStats(db: Db, projectId: number, deltas: readonly PersonStatsDelta[]): Promise<Map<number, number>>;
  /** locks persons in id order and reads them; vanished ids are absent */
  lockRows(db: Db, projectId: number, personIds: readonly number[]): Promise<Map<number, LockedPerson>>;
  /** writes new properties (and `$set_once` times) of several persons */
  writeProperties(db: Db, projectId: number, rows: ReadonlyArray<{ id: number; properties: Record<string, unknown>; setOnceAt: Record<string, number> }>): Promise<void>;
  /** creates a person holding nothing yet (alias of two unseen ids); returns its id */
  insertPerson(db: Db, projectId: number, bucketingKey: string, identified: boolean): Promise<number>;
  /** maps ids to a person; returns the ids mapped now (an id already mapped is left alone) */
  attach(db: Db, projectId: number, personId: number, distinctIds: readonly string[]): Promise<string[]>;
  setIdentified(db: Db, projectId: number, personId: number): Promise<void>;
  /** merges person `from` into `into` (both locked); returns the distinct ids that moved */
  merge(db: Db, projectId: number, from: number, into: number, merged: { properties: Record<string, unknown>; setOnceAt: Record<string, number> }): Promise<string[]>;
  /** deletes a person and its distinct ids; returns the ids it held */
  remove(db: Db, projectId: number, personId: number): Promise<string[]>;
  /** all distinct ids of each person, sorted */
  distinctIdsOf(db: Db, projectId: number, personIds: readonly number[]): Promise<Map<number, string[]>>;
  /** identity-map documents of these persons, as committed now */
  docs(db: Db, projectId: number, personIds: readonly number[]): Promise<PersonDoc[]>;
  /** one keyset page of a project's persons as documents, with their distinct ids (rebuilds) */
  docsPage(db: Db, projectId: number, afterId: number, limit: number): Promise<Array<PersonDoc & { distinctIds: string[] }>>;
  /** person stats for the admin read */
  stats(db: Db, projectId: number, personId: number): Promise<(LockedPerson & { createdAt: number }) | null>;
  /** taken (shared) by transactions that move or remove distinct ids; a rebuild waits for them */
  lockIdentityShared(db: Db, projectId: number): Promise<void>;
  /** false when another process rebuilds this project; otherwise blocks identity changes until commit */
  lockIdentityRebuild(db: Db, projectId: number): Promise<boolean>;
}
