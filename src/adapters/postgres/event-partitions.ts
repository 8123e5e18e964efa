import type { EventPartitionMonth, EventPartitions } from '../../ports/event-partitions.js';
import type { Pool } from './pool.js';

/** The UTC month starting at or before `ms`: [from, to) and the partition's name. */
export function monthOf(ms: number): EventPartitionMonth {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return { name: `events_y${y}m${String(m + 1).padStart(2, '0')}`, from: Date.UTC(y, m, 1), to: Date.UTC(y, m + 1, 1) };
}

const bound = (ms: number) => new Date(ms).toISOString();

/** A partition's bounds from `pg_get_expr(relpartbound)`: FOR VALUES FROM ('…') TO ('…'). */
function parseBound(expr: string): { from: number; to: number } | null {
  const m = /FROM \('([^']+)'\) TO \('([^']+)'\)/.exec(expr);
  return m ? { from: Date.parse(m[1]), to: Date.parse(m[2]) } : null;
}

export function createEventPartitions(pool: Pool): EventPartitions {
  async function months(): Promise<EventPartitionMonth[]> {
    // Bounds are printed in the session's zone: read them in UTC.
    const client = await pool.connect();
    try {
      await client.query("SET TIME ZONE 'UTC'");
      const { rows } = await client.query<{ name: string; bound: string }>(
        `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
           FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'events'::regclass`,
      );
      await client.query('RESET TIME ZONE');
      const out: EventPartitionMonth[] = [];
      for (const r of rows) {
        const b = parseBound(r.bound);
        if (b) out.push({ name: r.name, ...b });
      }
      return out.sort((a, b) => a.from - b.from);
    } finally {
      client.release();
    }
  }

  /** Creates one month's partition, moving the default partition's rows of that month into it. */
  async function createMonth(month: EventPartitionMonth): Promise<number> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // Inserts routed to the default partition wait while its rows of the month move.
      await client.query('LOCK TABLE events_default IN SHARE ROW EXCLUSIVE MODE');
      const exists = await client.query('SELECT 1 FROM pg_class WHERE relname = $1', [month.name]);
      if (exists.rowCount) {
        await client.query('ROLLBACK');
        return 0;
      }
      await client.query(`CREATE TABLE ${month.name} (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
      const moved = await client.query(
        `WITH moved AS (DELETE FROM events_default WHERE time >= $1 AND time < $2 RETURNING *)
         INSERT INTO ${month.name} SELECT * FROM moved`,
        [bound(month.from), bound(month.to)],
      );
      await client.query(`ALTER TABLE events ATTACH PARTITION ${month.name} FOR VALUES FROM ('${bound(month.from)}') TO ('${bound(month.to)}')`);
      await client.query('COMMIT');
      return moved.rowCount ?? 0;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  return {
    months,

    async ensureAhead(nowMs, ahead) {
      const have = new Set((await months()).map((m) => m.name));
      const created: string[] = [];
      let m = monthOf(nowMs);
      for (let i = 0; i <= ahead; i++, m = monthOf(m.to)) {
        if (have.has(m.name)) continue;
        await createMonth(m);
        created.push(m.name);
      }
      return created;
    },

    async splitDefault(maxMonths) {
      const { rows } = await pool.query<{ month: Date }>(
        `SELECT DISTINCT date_trunc('month', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month FROM events_default ORDER BY 1 LIMIT $1`,
        [maxMonths],
      );
      const out: Array<{ name: string; rows: number }> = [];
      for (const r of rows) {
        const m = monthOf(r.month.getTime());
        out.push({ name: m.name, rows: await createMonth(m) });
      }
      return out;
    },

    async retentions() {
      const { rows } = await pool.query<{ id: number; days: number | null }>('SELECT id, event_retention_days AS days FROM projects ORDER BY id');
      return rows.map((r) => ({ projectId: Number(r.id), days: r.days }));
    },

    async drop(name) {
      if (!/^events_y\d{4}m\d{2}$/.test(name)) throw new Error(`not a monthly events partition: ${name}`);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`ALTER TABLE events DETACH PARTITION ${name}`);
        await client.query(`DROP TABLE ${name}`);
        // Their insert ids go too (the partition's time range, every project).
        const month = monthOf(Date.parse(`${name.slice(8, 12)}-${name.slice(13, 15)}-01T00:00:00Z`));
        await client.query('DELETE FROM event_ids WHERE time >= $1 AND time < $2', [bound(month.from), bound(month.to)]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },

    async deleteOlder(projectId, beforeMs, limit) {
      const { rows } = await pool.query<{ n: string }>(
        `WITH doomed AS (SELECT ctid, tableoid FROM events WHERE project_id = $1 AND time < $2 LIMIT $3),
              gone AS (DELETE FROM events e USING doomed d WHERE e.ctid = d.ctid AND e.tableoid = d.tableoid RETURNING e.insert_id),
              ids AS (DELETE FROM event_ids WHERE project_id = $1 AND insert_id IN (SELECT insert_id FROM gone))
         SELECT count(*) AS n FROM gone`,
        [projectId, bound(beforeMs), limit],
      );
      return Number(rows[0].n);
    },
  };
}
