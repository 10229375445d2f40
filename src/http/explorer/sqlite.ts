/**
 * One SQLite connection (libsql, the engine under @libsql/client) used so that memory stays
 * flat. libsql 0.5.29 never frees a prepared statement's native memory (measured: ~35 KB per
 * 100-row INSERT, ~10 KB per page query, gc or not) nor what a multi-row `all()` allocates
 * (~1 KB a call); @libsql/client prepares on every call. So here each statement text is prepared
 * once and kept (the texts are a bounded set: store-sql.ts), and rows are read with single-row
 * `get()` only. `db.inTransaction` is never read: on a closed connection it aborts the process.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'libsql';
import type { SqlArg } from './store-sql.js';

/** The texts are bounded by construction; this is the backstop (beyond it: prepared, not kept). */
const MAX_CACHED_STATEMENTS = 1_000;

export class Sqlite {
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(private readonly db: Database.Database) {}

  /** Creates the folder and the file if needed; WAL when the file system supports it. Throws. */
  static open(path: string, cacheKiB: number, schema: readonly string[]): Sqlite {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec(`PRAGMA cache_size = -${Math.floor(cacheKiB)}`);
      for (const sql of schema) db.exec(sql);
    } catch (err) {
      db.close();
      throw err;
    }
    return new Sqlite(db);
  }

  /** The first row, or undefined. */
  get(sql: string, args: SqlArg[]): Record<string, unknown> | undefined {
    return this.statement(sql).get(args) as Record<string, unknown> | undefined;
  }

  /** Rows changed. */
  run(sql: string, args: SqlArg[]): number {
    return this.statement(sql).run(args).changes;
  }

  /** `fn` in one write transaction; rolled back when it throws (then rethrown). */
  transaction(fn: () => void): void {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      fn();
      this.db.exec('COMMIT');
    } catch (err) {
      try {
        this.db.exec('ROLLBACK');
      } catch {
        // No transaction left (SQLite rolled back on an I/O error, or the connection is closed).
      }
      throw err;
    }
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      if (this.statements.size < MAX_CACHED_STATEMENTS) this.statements.set(sql, statement);
    }
    return statement;
  }
}
