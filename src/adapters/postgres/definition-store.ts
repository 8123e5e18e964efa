import type { DefinitionKind, StoredDefinition } from '../../domain/definition.js';
import type { Db } from '../../ports/db.js';
import type { DefinitionStore } from '../../ports/definition-store.js';
import { asDb, sql } from './db.js';
import type { Pool } from './pool.js';

/** The table of each decision kind (fixed identifiers, never user input). */
const TABLE: Record<DefinitionKind, string> = { flag: 'flags', config: 'configs', survey: 'surveys' };

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

/** Flags, configs and surveys share one shape, so one store serves the three tables. */
export function createDefinitionStore(pool: Pool): DefinitionStore {
  return {
    async get(kind: DefinitionKind, projectId: number, key: string, db: Db = asDb(pool)): Promise<StoredDefinition | null> {
      const { rows } = await sql(db).query<Row>(`SELECT ${COLUMNS} FROM ${TABLE[kind]} WHERE project_id = $1 AND key = $2`, [projectId, key]);
      return rows[0] ? toStored(rows[0]) : null;
    },
    /** Row-locks the definition for an update inside a transaction. */
    async lock(kind: DefinitionKind, projectId: number, key: string, db: Db): Promise<StoredDefinition | null> {
      const { rows } = await sql(db).query<Row>(`SELECT ${COLUMNS} FROM ${TABLE[kind]} WHERE project_id = $1 AND key = $2 FOR UPDATE`, [projectId, key]);
      return rows[0] ? toStored(rows[0]) : null;
    },
    async list(kind: DefinitionKind, projectId: number, afterId: number, limit: number): Promise<StoredDefinition[]> {
      const { rows } = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM ${TABLE[kind]} WHERE project_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
        [projectId, afterId, limit],
      );
      return rows.map(toStored);
    },
    /** Inserts version 1; null when the key is taken. */
    async insert(kind: DefinitionKind, projectId: number, key: string, definition: unknown, db: Db): Promise<StoredDefinition | null> {
      const { rows } = await sql(db).query<Row>(
        `INSERT INTO ${TABLE[kind]} (project_id, key, definition) VALUES ($1, $2, $3)
         ON CONFLICT (project_id, key) DO NOTHING RETURNING ${COLUMNS}`,
        [projectId, key, JSON.stringify(definition)],
      );
      return rows[0] ? toStored(rows[0]) : null;
    },
    /** Replaces the document and bumps the version. */
    async replace(kind: DefinitionKind, projectId: number, key: string, definition: unknown, db: Db): Promise<StoredDefinition> {
      const { rows } = await sql(db).query<Row>(
        `UPDATE ${TABLE[kind]} SET definition = $3, version = version + 1, updated_at = now()
          WHERE project_id = $1 AND key = $2 RETURNING ${COLUMNS}`,
        [projectId, key, JSON.stringify(definition)],
      );
      return toStored(rows[0]);
    },
    async remove(kind: DefinitionKind, projectId: number, key: string, db: Db): Promise<void> {
      await sql(db).query(`DELETE FROM ${TABLE[kind]} WHERE project_id = $1 AND key = $2`, [projectId, key]);
    },
    /** Marks the project's definitions changed so every API process reloads them. */
    async bumpProject(projectId: number, db: Db): Promise<void> {
      await sql(db).query('UPDATE projects SET definitions_version = definitions_version + 1 WHERE id = $1', [projectId]);
    },
  };
}

