import pg from 'pg';
import { DomainError } from '../errors.js';
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

/** Statements that get a server-side prepared statement; past this many, further texts are parsed each time. */
const PREPARED_LIMIT = 256;

/**
 * Named (prepared) statements: each connection parses and plans a statement once and then only
 * binds and executes it, which saves the server a parse and a plan per query on the hot paths.
 * Names are shared by all connections of the process; `pg` prepares a name on each connection the
 * first time it runs there. The number of names is bounded, since multi-row inserts vary in text.
 */
class StatementNames {
  private readonly names = new Map<string, { name: string; text: string }>();

  of(sql: string, params: readonly SqlValue[]): pg.QueryConfig<SqlValue[]> {
    let named = this.names.get(sql);
    if (named === undefined && this.names.size < PREPARED_LIMIT) {
      named = { name: `sscard_${this.names.size + 1}`, text: toPostgresPlaceholders(sql) };
      this.names.set(sql, named);
    }
    return named === undefined
      ? { text: toPostgresPlaceholders(sql), values: params as SqlValue[] }
      : { name: named.name, text: named.text, values: params as SqlValue[] };
  }
}

function clientQueryable(client: pg.Pool | pg.PoolClient, statements: StatementNames): Queryable {
  const query = (sql: string, params: readonly SqlValue[]) =>
    client.query(statements.of(sql, params)).catch((e: unknown) => {
      throw storeLimit(e);
    });
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

/** A bulk load's commit does not wait for its WAL flush; it stays atomic and in order. */
const BULK_BEGIN = 'BEGIN; SET LOCAL synchronous_commit = off';

async function inTransaction<T>(
  pool: pg.Pool,
  statements: StatementNames,
  begin: string,
  fn: (tx: Queryable) => Promise<T>,
): Promise<T> {
  const client = await pool.connect().catch((e: unknown) => {
    throw storeLimit(e);
  });
  try {
    await client.query(begin);
    const result = await fn(clientQueryable(client, statements));
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

export interface PostgresOptions {
  poolSize?: number;
  /** How long a caller waits for a pooled connection before it gets `STORE_BUSY`. */
  acquireTimeoutMs?: number;
  /** The server's `statement_timeout` for every session of the pool. */
  statementTimeoutMs?: number;
  /** The server's `idle_in_transaction_session_timeout` for every session of the pool. */
  idleInTransactionTimeoutMs?: number;
}

export const POSTGRES_DEFAULTS: Required<PostgresOptions> = {
  poolSize: 10,
  acquireTimeoutMs: 5000,
  statementTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: 60_000,
};

/** pg-pool's error when no connection came free within `connectionTimeoutMillis`. */
const ACQUIRE_TIMEOUT_MESSAGE = 'timeout exceeded when trying to connect';
/** SQLSTATE of a statement the server cancelled (here: `statement_timeout`). */
const QUERY_CANCELED = '57014';

/**
 * A saturated pool or a statement past its time answer 503 with a stable code, not a bare 500:
 * the caller may retry, and the operator sees which limit was reached.
 */
function storeLimit(e: unknown): unknown {
  if (e instanceof Error && e.message === ACQUIRE_TIMEOUT_MESSAGE) {
    return new DomainError('STORE_BUSY', 'no database connection came free in time', 503);
  }
  if ((e as { code?: unknown })?.code === QUERY_CANCELED) {
    return new DomainError('STORE_TIMEOUT', 'the database statement ran past its time limit', 503);
  }
  return e;
}

/** PostgreSQL through a connection pool; each transaction holds one client from BEGIN to COMMIT. */
export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<Store> {
  const o = { ...POSTGRES_DEFAULTS, ...options };
  const pool = new pg.Pool({
    connectionString: url,
    max: o.poolSize,
    types,
    connectionTimeoutMillis: o.acquireTimeoutMs,
    statement_timeout: o.statementTimeoutMs,
    idle_in_transaction_session_timeout: o.idleInTransactionTimeoutMs,
  });
  // An idle client that loses its server must not crash the process: the next query reconnects.
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');
  const statements = new StatementNames();
  const direct = clientQueryable(pool, statements);
  return {
    ...direct,
    transaction: (fn) => inTransaction(pool, statements, 'BEGIN', fn),
    bulkTransaction: (fn) => inTransaction(pool, statements, BULK_BEGIN, fn),
    close: () => pool.end(),
  };
}
