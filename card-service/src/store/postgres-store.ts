import pg from 'pg';
import {
  type Queryable,
  type RunResult,
  type SqlValue,
  type Store,
  toPostgresPlaceholders,
} from './store.js';

const INT8_OID = 20;

/** Counts and sequence numbers are BIGINT; they stay far below 2^53, so numbers, not strings. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

function clientQueryable(client: pg.Pool | pg.PoolClient): Queryable {
  const query = (sql: string, params: readonly SqlValue[]) =>
    client.query(toPostgresPlaceholders(sql), params as SqlValue[]);
  return {
    dialect: 'postgres',
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => (await query(sql, params)).rows as T[],
    get: async <T>(sql: string, params: readonly SqlValue[] = []) =>
      (await query(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []): Promise<RunResult> => ({
      changes: (await query(sql, params)).rowCount ?? 0,
    }),
  };
}

/** PostgreSQL through a connection pool; each transaction holds one client from BEGIN to COMMIT. */
export async function openPostgresStore(url: string, poolSize = 10): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types });
  // An idle client that loses its server must not crash the process: the next query reconnects.
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');
  const direct = clientQueryable(pool);
  return {
    ...direct,
    transaction: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(clientQueryable(client));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
