import type { DefinitionKind, StoredDefinition } from '../domain/definition.js';
import type { Db } from './db.js';

/** Flags, configs and surveys share one shape, so one store serves the three kinds. */
export interface DefinitionStore {
  get(kind: DefinitionKind, projectId: number, key: string, db?: Db): Promise<StoredDefinition | null>;
  /** row-locks the definition for an update inside a transaction */
  lock(kind: DefinitionKind, projectId: number, key: string, db: Db): Promise<StoredDefinition | null>;
  list(kind: DefinitionKind, projectId: number, afterId: number, limit: number): Promise<StoredDefinition[]>;
  /** inserts version 1; null when the key is taken */
  insert(kind: DefinitionKind, projectId: number, key: string, definition: unknown, db: Db): Promise<StoredDefinition | null>;
  /** replaces the document and bumps the version */
  replace(kind: DefinitionKind, projectId: number, key: string, definition: unknown, db: Db): Promise<StoredDefinition>;
  remove(kind: DefinitionKind, projectId: number, key: string, db: Db): Promise<void>;
  /** marks the project's definitions changed so every API process reloads them */
  bumpProject(projectId: number, db: Db): Promise<void>;
}
