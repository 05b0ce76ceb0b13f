import type { SqlExecutor } from "../sql-driver.js";

/** A row as a driver returns it. */
export type Row = Record<string, unknown>;

// Well under PostgreSQL's 65,535 parameters and SQLite's 32,766; bytes bound a statement holding chunks.
const maxParams = 30_000;
const maxBytes = 8 * 1024 * 1024;

function sizeOf(value: unknown): number {
  if (typeof value === "string") return value.length * 2;
  if (value instanceof Uint8Array) return value.byteLength;
  return 8;
}

const quote = (name: string) => `"${name}"`;

/** Inserts rows (all with the same columns) in multi-row statements bounded in parameters and bytes. */
export async function insertRows(db: SqlExecutor, table: string, rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const head = `INSERT INTO ${quote(table)} (${columns.map(quote).join(", ")}) VALUES `;
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  let params: unknown[] = [];
  let count = 0;
  let bytes = 0;
  const flush = async () => {
    if (count === 0) return;
    await db.run(head + Array.from({ length: count }, () => tuple).join(", "), params);
    params = [];
    count = 0;
    bytes = 0;
  };
  for (const row of rows) {
    if (count > 0 && (params.length + columns.length > maxParams || bytes > maxBytes)) await flush();
    for (const column of columns) {
      const value = row[column];
      params.push(value);
      bytes += sizeOf(value);
    }
    count++;
  }
  await flush();
}

/** A value in a form both drivers agree on (PostgreSQL and SQLite give numbers, text, bytes or null). */
function canonical(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString("base64")}`;
  if (typeof value === "number" || typeof value === "bigint") return `n:${String(value)}`;
  return value;
}

/** True when two rows hold the same values in the given columns (every column of `a` by default). */
export function sameRow(a: Row, b: Row, columns: readonly string[] = Object.keys(a)): boolean {
  return columns.every((column) => canonical(a[column]) === canonical(b[column]));
}

/** The columns of `a` whose values differ in `b`. */
export function differingColumns(a: Row, b: Row): string[] {
  return Object.keys(a).filter((column) => canonical(a[column]) !== canonical(b[column]));
}

/** `?, ?, ?` for n values. */
export function marks(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

/** Rows of `sql` (which ends in `IN (…)`, filled here) for many keys, 500 at a time. */
export async function allIn<T extends Row>(
  db: SqlExecutor,
  sqlBeforeList: string,
  keys: readonly unknown[],
  sqlAfterList = "",
): Promise<T[]> {
  const rows: T[] = [];
  for (let i = 0; i < keys.length; i += 500) {
    const part = keys.slice(i, i + 500);
    rows.push(...(await db.all<T>(`${sqlBeforeList} (${marks(part.length)})${sqlAfterList}`, part)));
  }
  return rows;
}
