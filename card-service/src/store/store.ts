/**
 * The one storage interface of the service. Domain modules write plain SQL against `Queryable`
 * (placeholders are `?`, translated per engine), so that the same queries and the same tests run
 * on sqlite3 and PostgreSQL. Both engines see the same column types: TEXT for identifiers, dates
 * and ISO 8601 instants (fixed-width UTC, so text order is time order), INTEGER/BIGINT for counts
 * and flags (0/1), JSON documents as TEXT.
 */
export type Dialect = 'sqlite' | 'postgres';

export type SqlValue = string | number | null;

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

export interface Queryable {
  readonly dialect: Dialect;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
}

export interface Store extends Queryable {
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. Rows read
   * with `forUpdate(dialect)` stay locked until the end (PostgreSQL); sqlite3 serialises writers.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * A transaction for bulk loads (the CSV import): atomic like `transaction`, but its commit may
   * return before it is durable (sqlite3: `synchronous = NORMAL` on a connection of its own with a
   * large page cache; PostgreSQL: `synchronous_commit = off`). A crash can lose the last few such
   * commits, never part of one, and never one that a later durable commit depends on: the log is
   * written in order. A caller that records its progress in the same transaction resumes correctly.
   */
  bulkTransaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The suffix that locks selected rows for the rest of the transaction where the engine can. */
export const forUpdate = (dialect: Dialect): string => (dialect === 'postgres' ? ' FOR UPDATE' : '');

/**
 * A condition that `column` is one of the strings of a JSON array parameter: one statement text
 * (prepared once) for any number of keys, answered through the column's index on both engines.
 */
export function inJsonArray(dialect: Dialect, column: string): string {
  return dialect === 'postgres'
    ? `${column} = ANY (ARRAY(SELECT json_array_elements_text(?::json)))`
    : `${column} IN (SELECT value FROM json_each(?))`;
}

/** `?` placeholders to PostgreSQL's `$1, $2…`; our SQL has no `?` inside literals. */
export function toPostgresPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
