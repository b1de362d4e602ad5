import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './db.js';
import type { Logger } from './logger.js';

/**
 * WAL checkpoints on a thread of their own.
 *
 * By default SQLite checkpoints inside the COMMIT that takes the WAL past 1,000 pages: that request
 * then copies the pages into the database file and waits for two fsyncs while every other request
 * waits behind it on the event loop. Here a worker thread with its own connection runs a PASSIVE
 * checkpoint (which never blocks writers) ten times a second, and at start and then once a minute
 * a TRUNCATE one, which also cuts the WAL file to nothing, so page images from before a submission
 * (a draft next to its invitation) do not stay in it (SECURITY.md).
 *
 * The server's connection still checkpoints itself, but only past 4,096 pages (16 MB, the size
 * `journal_size_limit` keeps). SQLite starts the WAL over only after a checkpoint has caught up with
 * its end, and under a steady stream of commits the worker's never does: the WAL grew without bound
 * (382 MB after 3,000 questionnaires answered in a row, in-process), every commit appending to a
 * growing file. By the 4,096th page the worker has copied nearly all of them, so the connection's
 * own checkpoint copies the rest, catches up, and the WAL starts over (p99 of a whole questionnaire's
 * writes 2.6–5.1 ms that way, against 13–18 ms with SQLite's default of 1,000 pages). The thread
 * runs every 100 ms rather than 250 so that the rest is small: P1's p99 at c = 8 went from 26–33 ms
 * to 16–22 ms, for about 1 % more CPU.
 *
 * A TRUNCATE has to wait for readers on older snapshots (a long export streams from one) and for
 * the writer, and while it waits SQLite holds back new writers: the server's writes, on its only
 * thread. So it never waits (no busy timeout); one that cannot finish at once is tried again at
 * every tick until it does.
 *
 * Should the worker fail, the connection checkpoints itself again, as SQLite does by default.
 */
export interface Checkpointer {
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  /** how often a PASSIVE checkpoint runs */
  intervalMs?: number;
  /** how often a TRUNCATE checkpoint runs */
  truncateEveryMs?: number;
}

// Plain CommonJS run with `eval`, so that it needs no build step and no TypeScript loader (the same
// code runs under `node dist/…`, tsx and vitest). Errors (a full disk) are reported once a minute
// at most, not at every tick.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.databasePath, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('cache_size = -256');
db.pragma('journal_size_limit = ' + workerData.journalSizeLimit);
let truncateDueAt = Date.now();
let lastWarningAt = -Infinity;
const timer = setInterval(() => {
  try {
    if (Date.now() >= truncateDueAt) {
      const [result] = db.pragma('wal_checkpoint(TRUNCATE)');
      const done = result.busy === 0;
      if (done) truncateDueAt = Date.now() + workerData.truncateEveryMs;
      parentPort.postMessage({ truncated: done });
    } else {
      db.pragma('wal_checkpoint(PASSIVE)');
    }
  } catch (error) {
    // another connection checkpointing or writing right now: the next tick tries again
    if (error && error.code === 'SQLITE_BUSY') return;
    if (Date.now() - lastWarningAt >= 60000) {
      lastWarningAt = Date.now();
      parentPort.postMessage({ warning: String(error && error.code || error) });
    }
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** Past this many WAL pages the server's connection finishes a checkpoint itself (see above). */
export const CONNECTION_CHECKPOINT_PAGES = 4096;

export function startCheckpointer(db: Db, logger: Logger, options: CheckpointerOptions = {}): Checkpointer {
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  const journalSizeLimit = db.pragma('journal_size_limit', { simple: true }) as number;
  const worker = new Worker(workerSource, {
    eval: true,
    // it allocates next to nothing: a small heap keeps the server's memory as it was (P5)
    resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8, codeRangeSizeMb: 2 },
    workerData: { databasePath: db.name, driverPath, journalSizeLimit, intervalMs: options.intervalMs ?? 100, truncateEveryMs: options.truncateEveryMs ?? 60_000 },
  });
  db.pragma(`wal_autocheckpoint = ${CONNECTION_CHECKPOINT_PAGES}`);
  let stopping = false;
  let fellBack = false;
  // a failing worker reports an error and then its exit: fall back once, and never on a connection
  // already closed (an uncaught throw from the exit event would end the process)
  const fallBack = (reason: unknown) => {
    if (stopping || fellBack || !db.open) return;
    fellBack = true;
    logger.warn({ reason: String(reason) }, 'checkpoint worker stopped; the server checkpoints in its own commits again');
    db.pragma('wal_autocheckpoint = 1000');
  };
  worker.on('message', (message: { warning?: string; truncated?: boolean }) => {
    if (message.warning) logger.warn({ code: message.warning }, 'checkpoint failed; will try again');
    if (message.truncated !== undefined) logger.debug(message.truncated ? 'WAL checkpointed and emptied' : 'WAL not emptied yet: a reader on an older snapshot or the writer is in the way; trying again');
  });
  worker.on('error', fallBack);
  worker.on('exit', (code) => fallBack(`exit ${code}`));
  worker.unref();
  return {
    stop: () =>
      new Promise((resolve) => {
        stopping = true;
        // an unref'd worker would let the process exit before the worker closed its connection
        worker.ref();
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
      }),
  };
}
