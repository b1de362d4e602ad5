import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { statement, type Db } from './db.js';
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
export interface Query {
  sql: string;
  parameters: unknown[];
}

/** Where long reads run: the reader thread in the server, the connection itself elsewhere. */
export interface Reader {
  /** the rows of one SELECT */
  all<Row>(sql: string, parameters: unknown[]): Promise<Row[]>;
  /** the rows of several SELECTs, all read in one transaction: one consistent state of the database */
  snapshot(queries: Query[]): Promise<unknown[][]>;
  stop(): Promise<void>;
}

/** `snapshot` on a connection directly, on the calling thread (the CLI's results). */
export function snapshotOn(db: Db, queries: Query[]): unknown[][] {
  return db.transaction(() => queries.map((query) => statement(db, query.sql).all(...query.parameters)))();
}

/** The same reads on a connection directly, on the calling thread: an app built without the
 * thread (tests), and the thread's stand-in once it has failed. */
export function connectionReader(db: Db): Reader {
  return {
    all: async <Row>(sql: string, parameters: unknown[]) => statement(db, sql).all(...parameters) as Row[],
    snapshot: async (queries: Query[]) => snapshotOn(db, queries),
    stop: async () => {},
  };
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
  const rowsOf = (query) => {
    let statement = statements.get(query.sql);
    if (!statement) statements.set(query.sql, (statement = db.prepare(query.sql)));
    return statement.all(...query.parameters);
  };
  try {
    const rows = message.queries ? db.transaction(() => message.queries.map(rowsOf))() : rowsOf(message);
    parentPort.postMessage({ id: message.id, rows });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error && error.message || error) });
  }
});
`;

export function startReaderThread(db: Db, logger: Logger): Reader {
  // reads waiting for the worker, each with how to answer it here should the worker fail
  const pending = new Map<number, { resolve: (rows: unknown[]) => void; reject: (error: Error) => void; readHere: () => Promise<unknown[]> }>();
  const here = connectionReader(db);
  let worker: Worker | undefined;
  let nextId = 0;
  let failed = false;
  let stopping = false;

  const fallBack = (reason: unknown) => {
    if (stopping || failed) return;
    failed = true;
    logger.warn({ reason: String(reason) }, 'reader thread stopped; long reads run on the server thread again');
    for (const [id, read] of pending) {
      pending.delete(id);
      (db.open ? read.readHere() : Promise.resolve([])).then(read.resolve, read.reject);
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

  /** Sends one read to the worker, or once it has failed, reads it here with `readHere`. */
  const send = <Rows extends unknown[]>(message: Query | { queries: Query[] }, readHere: () => Promise<Rows>): Promise<Rows> => {
    if (failed) return readHere();
    return new Promise<Rows>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (rows: unknown[]) => void, reject, readHere });
      const thread = started();
      thread.ref();
      thread.postMessage({ id, ...message });
    });
  };

  return {
    all: <Row>(sql: string, parameters: unknown[]) => send({ sql, parameters }, () => here.all<Row>(sql, parameters)),
    snapshot: (queries: Query[]) => send({ queries }, () => here.snapshot(queries)),
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
