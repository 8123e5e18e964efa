import type { Pool, PoolClient } from './pool.js';

/** The three decision kinds and the table each lives in (fixed identifiers, never user input). */
export type DefinitionKind = 'flag' | 'config' | 'survey';
const TABLE: Record<DefinitionKind, string> = { flag: 'flags', config: 'configs', survey: 'surveys' };

/** A saved definition document with its bookkeeping; `definition` holds no key or version. */
export interface StoredDefinition {
  id: number;
  key: string;
  definition: Record<string, unknown>;
  version: number;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: number;
  key: string;
  definition: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const toStored = (r: Row): StoredDefinition => ({
  id: r.id,
  key: r.key,
  definition: r.definition,
  version: r.version,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const COLUMNS = 'id, key, definition, version, created_at, updated_at';
type Db = Pick<Pool | PoolClient, 'query'>;

/** Flags, configs and surveys share one shape, so one store serves the three tables. */
export function createDefinitionStore(pool: Pool) {
  return {
    async get(kind: DefinitionKind, projectId: number, key: string, db: Db = pool): Promise<StoredDefinition | null> {
      const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM ${TABLE[kind]} WHERE project_id = $1 AND key = $2`, [projectId, key]);
      return rows[0] ? toStored(rows[0]) : null;
    },
    /** Row-locks the definition for an update inside a transaction. */
    async lock(kind: DefinitionKind, projectId: number, key: string, db: PoolClient): Promise<StoredDefinition | null> {
      const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM ${TABLE[kind]} WHERE project_id = $1 AND key = $2 FOR UPDATE`, [projectId, key]);
      return rows[0] ? toStored(rows[0]) : null;
    },
    async list(kind: DefinitionKind, projectId: number, afterId: number, limit: number): Promise<StoredDefinition[]> {
      const { rows } = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM ${TABLE[kind]} WHERE project_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
        [projectId, afterId, limit],
      );
      return rows.map(toStored);
    },
    /** Every definition of a kind for a project (the in-memory snapshot). */
    async all(kind: DefinitionKind, projectId: number): Promise<StoredDefinition[]> {
      const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM ${TABLE[kind]} WHERE project_id = $1 ORDER BY key`, [projectId]);
      return rows.map(toStored);
    },
    /** Inserts version 1; null when the key is taken. */
    async insert(kind: DefinitionKind, projectId: number, key: string, definition: unknown, db: Db): Promise<StoredDefinition | null> {
      const { rows } = await db.query<Row>(
        `INSERT INTO ${TABLE[kind]} (project_id, key, definition) VALUES ($1, $2, $3)
         ON CONFLICT (project_id, key) DO NOTHING RETURNING ${COLUMNS}`,
        [projectId, key, JSON.stringify(definition)],
      );
      return rows[0] ? toStored(rows[0]) : null;
    },
    /** Replaces the document and bumps the version. */
    async replace(kind: DefinitionKind, projectId: number, key: string, definition: unknown, db: Db): Promise<StoredDefinition> {
      const { rows } = await db.query<Row>(
        `UPDATE ${TABLE[kind]} SET definition = $3, version = version + 1, updated_at = now()
          WHERE project_id = $1 AND key = $2 RETURNING ${COLUMNS}`,
        [projectId, key, JSON.stringify(definition)],
      );
      return toStored(rows[0]);
    },
    async remove(kind: DefinitionKind, projectId: number, key: string, db: Db): Promise<void> {
      await db.query(`DELETE FROM ${TABLE[kind]} WHERE project_id = $1 AND key = $2`, [projectId, key]);
    },
    /** Marks the project's definitions changed so every API process reloads them. */
    async bumpProject(projectId: number, db: Db): Promise<void> {
      await db.query('UPDATE projects SET definitions_version = definitions_version + 1 WHERE id = $1', [projectId]);
    },
  };
}

export type DefinitionStore = ReturnType<typeof createDefinitionStore>;
