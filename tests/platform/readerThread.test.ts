import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/platform/logger.js';
import { snapshotOn, startReaderThread, type Reader } from '../../server/platform/readerThread.js';
import { tempDatabase } from '../helpers.js';

let database: ReturnType<typeof tempDatabase>;
let reader: Reader;
afterEach(async () => {
  await reader.stop();
  database.cleanup();
});

const COUNT_TO = (limit: number) => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${limit}) SELECT COUNT(*) AS n FROM c`;

describe('the reader thread', () => {
  it('answers a SELECT with its parameters as the server connection would, and sees what it committed', async () => {
    database = tempDatabase();
    reader = startReaderThread(database.db, createLogger('silent'));
    const sql = `SELECT code, name FROM agencies WHERE kind = ? ORDER BY code`;
    expect(await reader.all(sql, ['city'])).toEqual([]);
    const insert = database.db.prepare(`INSERT INTO agencies (code, name, kind, created_at) VALUES (?, ?, ?, '2026-12-03')`);
    insert.run('KOTA-A', 'Kota A', 'city');
    insert.run('PROV-B', 'Provinsi B', 'province');
    insert.run('KOTA-C', 'Kota C', 'city');
    const rows = await reader.all(sql, ['city']);
    expect(rows).toEqual(database.db.prepare(sql).all('city'));
    expect(rows).toEqual([{ code: 'KOTA-A', name: 'Kota A' }, { code: 'KOTA-C', name: 'Kota C' }]);
  });

  it('a snapshot reads several queries in one go, each one\'s rows in order; one bad query refuses the whole', async () => {
    database = tempDatabase();
    reader = startReaderThread(database.db, createLogger('silent'));
    database.db.prepare(`INSERT INTO agencies (code, name, kind, created_at) VALUES ('KOTA-A', 'Kota A', 'city', '2026-12-03')`).run();
    const queries = [
      { sql: 'SELECT COUNT(*) AS n FROM agencies', parameters: [] },
      { sql: 'SELECT code FROM agencies WHERE kind = ?', parameters: ['city'] },
      { sql: COUNT_TO(3), parameters: [] },
    ];
    expect(await reader.snapshot(queries)).toEqual([[{ n: 1 }], [{ code: 'KOTA-A' }], [{ n: 3 }]]);
    expect(await reader.snapshot(queries)).toEqual(snapshotOn(database.db, queries));
    await expect(reader.snapshot([...queries, { sql: 'SELECT nope', parameters: [] }])).rejects.toThrow(/no such column: nope/);
  });

  it('the server thread keeps taking turns while a long read runs', async () => {
    database = tempDatabase();
    reader = startReaderThread(database.db, createLogger('silent'));
    let settled = false;
    const read = reader.all<{ n: number }>(COUNT_TO(2_000_000), []).finally(() => (settled = true));
    // had the read run on this thread, it would be over before the first turn
    let turns = 0;
    while (!settled) {
      await nextTurn();
      turns++;
    }
    expect(await read).toEqual([{ n: 2_000_000 }]);
    expect(turns).toBeGreaterThan(100);
  });

  it('a bad query is refused with SQLite\'s message and the thread goes on reading; it cannot write', async () => {
    database = tempDatabase();
    reader = startReaderThread(database.db, createLogger('silent'));
    await expect(reader.all('SELECT nope FROM agencies', [])).rejects.toThrow(/no such column: nope/);
    await expect(reader.all(`INSERT INTO agencies (code, name, kind, created_at) VALUES ('X', 'X', 'city', 'x') RETURNING id`, [])).rejects.toThrow(/readonly/);
    expect(await reader.all(COUNT_TO(10), [])).toEqual([{ n: 10 }]);
  });

  it('should the thread die (here: out of memory), the read is answered on the server thread and the next ones too', async () => {
    database = tempDatabase();
    const warnings: string[] = [];
    const logger = createLogger('silent');
    logger.warn = ((_fields: unknown, message: string) => void warnings.push(message)) as typeof logger.warn;
    reader = startReaderThread(database.db, logger);
    // 80,000 rows of 1,000 characters: more than the thread's 64 MB heap
    const rows = await reader.all<{ x: number; text: string }>(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 80000) SELECT x, printf('%.1000c', 'a') AS text FROM c`, []);
    expect(rows).toHaveLength(80_000);
    expect(rows[79_999]!.x).toBe(80_000);
    expect(warnings).toEqual(['reader thread stopped; long reads run on the server thread again']);
    expect(await reader.all(COUNT_TO(5), [])).toEqual([{ n: 5 }]);
  });
});
