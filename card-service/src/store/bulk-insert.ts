import type { Queryable } from './store.js';

/** A row of TEXT columns, in the order of the column list it is inserted with. */
export type TextRow = readonly (string | null)[];

/**
 * Inserts any number of rows into TEXT columns with one statement whose text depends only on the
 * table and the columns: the rows travel as one JSON array of arrays, which the engine takes apart
 * (sqlite3 `json_each`, PostgreSQL `json_array_elements`), in array order. So one prepared
 * statement serves every batch size, the caller binds one value instead of one per field, and the
 * parsing happens on the database's side (sqlite3's worker thread, PostgreSQL's backend) rather
 * than in the caller's event loop.
 */
export async function insertRows(
  tx: Queryable,
  table: string,
  columns: readonly string[],
  rows: readonly TextRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await tx.run(insertSql(tx.dialect, table, columns), [JSON.stringify(rows)]);
}

const statements = new Map<string, string>();

function insertSql(dialect: Queryable['dialect'], table: string, columns: readonly string[]): string {
  const key = `${dialect} ${table} ${columns.join(',')}`;
  let sql = statements.get(key);
  if (sql === undefined) {
    const fields = (row: string) => columns.map((_, i) => `${row} ->> ${i}`).join(', ');
    sql =
      dialect === 'sqlite'
        ? `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${fields('value')} FROM json_each(?) ORDER BY key`
        : `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${fields('r')} FROM json_array_elements(?::json) WITH ORDINALITY AS e (r, n) ORDER BY n`;
    statements.set(key, sql);
  }
  return sql;
}
