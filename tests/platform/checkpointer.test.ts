import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTION_CHECKPOINT_PAGES, startCheckpointer, type Checkpointer } from '../../server/platform/checkpointer.js';
import { openDatabase, type Db } from '../../server/platform/db.js';
import { createLogger } from '../../server/platform/logger.js';

const quietLogger = () => createLogger('silent');

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Rows found in the database file alone, i.e. what has been checkpointed out of the WAL. */
function rowsInMainFile(databasePath: string, copyPath: string): number {
  copyFileSync(databasePath, copyPath);
  const copy = new Database(copyPath, { readonly: true });
  try {
    return copy.prepare(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'filler'`).pluck().get() === 1 ? (copy.prepare('SELECT COUNT(*) FROM filler').pluck().get() as number) : 0;
  } catch {
    return -1; // a copy taken mid-checkpoint; asked again
  } finally {
    copy.close();
  }
}

describe('WAL checkpoints on a worker thread', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function tempDatabase(): { db: Db; databasePath: string; dir: string } {
    const dir = mkdtempSync(path.join(tmpdir(), 'integritas-checkpoint-'));
    const databasePath = path.join(dir, 'test.db');
    const db = openDatabase(databasePath);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    cleanups.push(() => void db.close());
    return { db, databasePath, dir };
  }

  it('moves committed pages into the database file and empties the WAL; the server connection checkpoints only past 4,096 pages', async () => {
    const { db, databasePath, dir } = tempDatabase();
    let checkpointer: Checkpointer | undefined;
    cleanups.push(() => checkpointer?.stop());
    // the worker starts after the writes: until then the connection must not checkpoint either
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO filler (text) VALUES (?)');
    // ~1,500 pages: past the 1,000 at which the connection would otherwise checkpoint itself
    for (let batch = 0; batch < 30; batch++) db.transaction(() => { for (let row = 0; row < 50; row++) insert.run('x'.repeat(4000)); })();
    expect(rowsInMainFile(databasePath, path.join(dir, 'before.db'))).toBe(0);
    expect(statSync(databasePath + '-wal').size).toBeGreaterThan(1000 * 4096);

    checkpointer = startCheckpointer(db, quietLogger(), { intervalMs: 20, truncateEveryMs: 300 });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(CONNECTION_CHECKPOINT_PAGES);
    await until(() => rowsInMainFile(databasePath, path.join(dir, 'copy.db')) === 1500, 'the rows in the database file');
    await until(() => statSync(databasePath + '-wal').size === 0, 'the WAL cut to nothing');
    // the server's connection goes on reading and writing as before
    insert.run('after');
    expect(db.prepare('SELECT COUNT(*) FROM filler').pluck().get()).toBe(1501);
    await checkpointer.stop();
    checkpointer = undefined;
  });

  it('keeps the WAL bounded under a steady stream of commits, where the worker alone never catches up', async () => {
    const { db, databasePath } = tempDatabase();
    db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
    const checkpointer = startCheckpointer(db, quietLogger(), { intervalMs: 20, truncateEveryMs: 600_000 });
    cleanups.push(() => checkpointer.stop());
    const insert = db.prepare('INSERT INTO filler (text) VALUES (?)');
    const update = db.prepare('UPDATE filler SET text = ? WHERE id = ?');
    for (let row = 0; row < 200; row++) insert.run('x'.repeat(3000));
    // 36,000 small commits, about 150 MB of WAL frames in all, with no pause for the worker to catch up
    let largestWal = 0;
    for (let commit = 0; commit < 36_000; commit++) {
      update.run(String(commit).repeat(500).slice(0, 3000), 1 + (commit % 200));
      if (commit % 500 === 0) largestWal = Math.max(largestWal, statSync(databasePath + '-wal').size);
    }
    largestWal = Math.max(largestWal, statSync(databasePath + '-wal').size);
    // one checkpoint's worth (4,096 pages of 4 KB and their frame headers, 16.8 MB), and some more
    // when the connection's checkpoint finds the thread's in progress and is skipped (up to 21 MB
    // seen with the whole suite running); without the connection's checkpoint, 136 MB
    expect(largestWal).toBeLessThan(32 * 1024 * 1024);
    expect(db.prepare('SELECT COUNT(*) FROM filler').pluck().get()).toBe(200);
  });

  it('never waits for a reader on an old snapshot: tries the TRUNCATE again at every tick until it can finish', async () => {
    const { db, databasePath } = tempDatabase();
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO filler (text) VALUES (?)');
    for (let row = 0; row < 50; row++) insert.run('x'.repeat(4000));
    // a long read (an export streaming) holds its snapshot while the server writes on
    const reader = new Database(databasePath);
    cleanups.push(() => void reader.close());
    reader.exec('BEGIN');
    expect(reader.prepare('SELECT COUNT(*) FROM filler').pluck().get()).toBe(50);
    for (let row = 0; row < 50; row++) insert.run('y'.repeat(4000));

    const lines: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
    // the TRUNCATE at start is the only one due for the next ten minutes
    const checkpointer = startCheckpointer(db, logger, { intervalMs: 20, truncateEveryMs: 600_000 });
    cleanups.push(() => checkpointer.stop());
    await until(() => lines.some((line) => line.includes('WAL not emptied yet')), 'a TRUNCATE held back by the reader');
    expect(statSync(databasePath + '-wal').size).toBeGreaterThan(0);
    // the server's connection writes on meanwhile
    insert.run('during');
    reader.exec('COMMIT');
    await until(() => statSync(databasePath + '-wal').size === 0, 'the WAL emptied once the reader is done');
    // the worker's report of it arrives as a message after the file is already cut: wait for it too
    await until(() => lines.some((line) => line.includes('WAL checkpointed and emptied')), 'the worker reporting the emptied WAL');
    expect(db.prepare('SELECT COUNT(*) FROM filler').pluck().get()).toBe(101);
  });

  it('lets the connection checkpoint itself again when the worker fails', async () => {
    const { db, databasePath } = tempDatabase();
    // the worker cannot open a file that is gone (the server's connection keeps its open one)
    unlinkSync(databasePath);
    for (const suffix of ['-wal', '-shm']) if (existsSync(databasePath + suffix)) unlinkSync(databasePath + suffix);
    startCheckpointer(db, quietLogger(), { intervalMs: 20 });
    await until(() => db.pragma('wal_autocheckpoint', { simple: true }) === 1000, 'wal_autocheckpoint back at 1000');
  });
});
