import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { migrationsDir } from './paths.js';

export type Db = Database.Database;

/** Opens (creating if needed) the SQLite file in WAL mode and applies pending migrations. */
export function openDatabase(databasePath: string): Db {
  if (databasePath !== ':memory:') mkdirSync(path.dirname(path.resolve(databasePath)), { recursive: true });
  const db = new Database(databasePath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Deleted and overwritten content is zeroed, not left in free space: a draft (answers kept with
  // the invitation) must not survive in the file once its response is written (tests/system/privacy).
  db.pragma('secure_delete = ON');
  // After a checkpoint resets the WAL, a file grown past 16 MB by a burst is cut back to that. Not to
  // nothing: regrowing the file from zero after every reset cost a fifth of each commit. Old page
  // images are overwritten as the WAL is reused, and the server's minute TRUNCATE checkpoint
  // (platform/checkpointer.ts) empties the file.
  db.pragma('journal_size_limit = 16777216');
  // Several processes (server, CLI, dispatcher) share the file: wait for a lock rather than fail.
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

// A migration that rebuilds a table other tables refer to starts with this line: SQLite's
// procedure for that (https://sqlite.org/lang_altertable.html, "other kinds of table schema
// changes") runs with foreign keys off, which only takes effect outside a transaction, and checks
// every reference before committing.
const FOREIGN_KEYS_OFF = /^-- foreign keys off while rebuilding\b/;

/** Applies db/migrations/NNN_name.sql files in order, each in its own transaction, once. */
export function migrate(db: Db): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set(
    db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[],
  );
  const files = readdirSync(migrationsDir)
    .filter((name) => /^\d+_.+\.sql$/.test(name))
    .sort();
  const newlyApplied: string[] = [];
  for (const file of files) {
    const version = Number(file.split('_')[0]);
    if (applied.has(version)) continue;
    const sql = readFileSync(path.join(migrationsDir, file), 'utf8');
    const rebuilding = FOREIGN_KEYS_OFF.test(sql) && db.pragma('foreign_keys', { simple: true }) === 1;
    if (rebuilding) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        db.exec(sql);
        if (rebuilding && (db.pragma('foreign_key_check') as unknown[]).length > 0) {
          throw new Error(`${file} would leave references to missing rows`);
        }
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          version,
          file,
          new Date().toISOString(),
        );
      })();
    } finally {
      if (rebuilding) db.pragma('foreign_keys = ON');
    }
    newlyApplied.push(file);
  }
  return newlyApplied;
}

const statementCache = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement for this connection, prepared once and reused (SQL with bound parameters only). */
export function statement(db: Db, sql: string): Database.Statement {
  let cache = statementCache.get(db);
  if (!cache) {
    cache = new Map();
    statementCache.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    cache.set(sql, prepared);
  }
  return prepared;
}
