import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './db.js';
import type { Logger } from './logger.js';

/**
 * Long reads on a thread of their own.
 *
 * The server answers every respondent on one JavaScript thread, and better-sqlite3 runs a query on
 * the thread that calls it: a national count that takes a second (the monitoring dashboard over
 * 300,000 invitations) is a second in which no phone is answered, right when a WhatsApp blast has
 * everyone answering at once. In WAL mode readers never wait for the writer, so such a read can run
 * on a worker thread with its own read-only connection while the server keeps answering; it sees
 * every commit made before it started, as the server's own connection would.
 *
 * Only plain SQL with its parameters crosses over (the worker is CommonJS run with `eval`, like the
 * checkpoint thread, so the same code runs under node, tsx and vitest). Should the worker fail,
 * reads run on the server's connection again, as before.
 */
export interface ReaderThread {
  /** the rows of one SELECT, read on the worker's connection */
  all<Row>(sql: string, parameters: unknown[]): Promise<Row[]>;
  stop(): Promise<void>;
}

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.databasePath, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = -16000');
const statements = new Map();
parentPort.on('message', (message) => {
  if (message === 'stop') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    let statement = statements.get(message.sql);
    if (!statement) statements.set(message.sql, (statement = db.prepare(message.sql)));
    parentPort.postMessage({ id: message.id, rows: statement.all(...message.parameters) });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error && error.message || error) });
  }
});
`;

export function startReaderThread(db: Db, logger: Logger): ReaderThread {
  const pending = new Map<number, { resolve: (rows: unknown[]) => void; reject: (error: Error) => void; sql: string; parameters: unknown[] }>();
  let worker: Worker | undefined;
  let nextId = 0;
  let failed = false;
  let stopping = false;

  // on the server's connection, as before this thread existed
  const readHere = (sql: string, parameters: unknown[]) => db.prepare(sql).all(...parameters);
  const fallBack = (reason: unknown) => {
    if (stopping || failed) return;
    failed = true;
    logger.warn({ reason: String(reason) }, 'reader thread stopped; long reads run on the server thread again');
    for (const [id, read] of pending) {
      pending.delete(id);
      try {
        read.resolve(db.open ? readHere(read.sql, read.parameters) : []);
      } catch (error) {
        read.reject(error as Error);
      }
    }
  };
  // started at the first long read: a server that never shows the dashboard never pays for it (P5)
  const started = (): Worker => {
    if (worker) return worker;
    const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
    worker = new Worker(workerSource, {
      eval: true,
      // rows are copied out at once; a heap this size holds a national dashboard many times over
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 64, codeRangeSizeMb: 2 },
      workerData: { databasePath: db.name, driverPath },
    });
    worker.on('message', (message: { id: number; rows?: unknown[]; error?: string }) => {
      const read = pending.get(message.id);
      if (!read) return;
      pending.delete(message.id);
      if (message.error !== undefined) read.reject(new Error(message.error));
      else read.resolve(message.rows!);
      // an idle worker does not keep the process alive; one with reads pending does
      if (pending.size === 0) worker?.unref();
    });
    worker.on('error', fallBack);
    worker.on('exit', (code) => fallBack(`exit ${code}`));
    return worker;
  };

  return {
    all: <Row>(sql: string, parameters: unknown[]) => {
      if (failed) return Promise.resolve(readHere(sql, parameters) as Row[]);
      return new Promise<Row[]>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (rows: unknown[]) => void, reject, sql, parameters });
        const thread = started();
        thread.ref();
        thread.postMessage({ id, sql, parameters });
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (!worker || failed) return resolve();
        worker.ref();
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
      }),
  };
}
