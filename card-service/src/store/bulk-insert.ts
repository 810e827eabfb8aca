import type { Queryable, SqlValue } from './store.js';

/** A row of values, in the order of the column list it is inserted with. */
export type TextRow = readonly (string | null)[];
export type Row = readonly SqlValue[];

/**
 * Inserts any number of rows with one statement whose text depends only on the table and the
 * columns: the rows travel as one JSON array of arrays, which the engine takes apart (sqlite3
 * `json_each`, PostgreSQL `json_array_elements`), in array order. So one prepared statement serves
 * every batch size, the caller binds one value instead of one per field, and the parsing happens on
 * the database's side (sqlite3's worker thread, PostgreSQL's backend) rather than in the caller's
 * event loop. Columns are TEXT unless named `name:BIGINT`, which is cast from its JSON value.
 * `onConflict` (e.g. `ON CONFLICT (k) DO UPDATE SET …`) makes the statement an upsert.
 */
export async function insertRows(
  tx: Queryable,
  table: string,
  columns: readonly string[],
  rows: readonly Row[],
  onConflict = '',
): Promise<void> {
  if (rows.length === 0) return;
  await tx.run(insertSql(tx.dialect, table, columns, onConflict), [JSON.stringify(rows)]);
}

const statements = new Map<string, string>();

function insertSql(
  dialect: Queryable['dialect'],
  table: string,
  columns: readonly string[],
  onConflict: string,
): string {
  const key = `${dialect} ${table} ${columns.join(',')} ${onConflict}`;
  let sql = statements.get(key);
  if (sql === undefined) {
    const names = columns.map((c) => c.split(':')[0]).join(', ');
    const fields = (row: string) =>
      columns
        .map((c, i) => (c.endsWith(':BIGINT') ? `CAST(${row} ->> ${i} AS BIGINT)` : `${row} ->> ${i}`))
        .join(', ');
    // sqlite3 would read an upsert's ON CONFLICT after a bare FROM as a join constraint: a WHERE
    // clause ends the SELECT.
    sql =
      dialect === 'sqlite'
        ? `INSERT INTO ${table} (${names}) SELECT ${fields('value')} FROM json_each(?) WHERE true ORDER BY key ${onConflict}`
        : `INSERT INTO ${table} (${names}) SELECT ${fields('r')} FROM json_array_elements(?::json) WITH ORDINALITY AS e (r, n) ORDER BY n ${onConflict}`;
    statements.set(key, sql.trimEnd());
    sql = sql.trimEnd();
  }
  return sql;
}
