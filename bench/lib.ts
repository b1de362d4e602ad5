import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Shared pieces of the benchmarks: a bounded load client, percentiles, a server child process
 * with its peak memory. Traffic only ever goes to 127.0.0.1. */

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface LoadResult {
  cycles: number;
  requests: number;
  seconds: number;
  latenciesMs: number[];
  errors: number;
  /** CPU seconds the load client (this process) spent during the run */
  clientCpuSeconds: number;
}

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 1/100 s). */
export function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  // after "pid (comm) ", utime and stime are the 12th and 13th fields
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs `cycles` cycles at `concurrency`; each cycle is a list of requests run in order. */
export async function runLoad(concurrency: number, cycles: number, cycle: (index: number, record: (ms: number, ok: boolean) => void) => Promise<void>): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let requests = 0;
  let errors = 0;
  let next = 0;
  const record = (ms: number, ok: boolean) => {
    requests++;
    latenciesMs.push(ms);
    if (!ok) errors++;
  };
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const index = next++;
        if (index >= cycles) return;
        await cycle(index, record);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  latenciesMs.sort((a, b) => a - b);
  return { cycles, requests, seconds, latenciesMs, errors, clientCpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** `amount` requests over `connections` keep-alive connections with autocannon, the load generator
 * Fastify's and Express's own benchmarks use: it spends far less CPU per request than `fetch`, which
 * matters when client and server share two cores. Each connection runs `requests` in order, again
 * and again. */
export async function runCannon(options: { url: string; connections: number; amount: number; requests?: autocannon.Request[] }): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let errors = 0;
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url: options.url, connections: options.connections, amount: options.amount, requests: options.requests, timeout: 30 }, (error, finished) => (error ? reject(error as Error) : resolve(finished)));
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latenciesMs.push(responseTime);
      if (statusCode < 200 || statusCode > 299) errors++;
    });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  latenciesMs.sort((a, b) => a - b);
  const cycles = options.requests ? options.amount / options.requests.length : options.amount;
  return { cycles, requests: latenciesMs.length, seconds, latenciesMs, errors: errors + result.errors + result.timeouts, clientCpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Respondents answering through the API with autocannon, one link each: GET the questionnaire,
 * PUT two pages of answers, POST submit, on `concurrency` connections; the server's CPU time per
 * request, read from /proc. */
export async function answerWithCannon(server: ServerProcess, cycleTokens: string[], answers: () => Record<string, unknown>[], concurrency: number): Promise<{ load: LoadResult; receipts: number; serverCpuMs: number }> {
  interface Cycle { token: string; bodies: string[] }
  const json = { 'content-type': 'application/json' };
  // whole cycles on every connection; request bodies built before the clock starts
  const cycleBodies = cycleTokens.map(() => answers().map((half) => JSON.stringify({ answers: half })));
  let nextCycle = 0;
  let receipts = 0;
  const serverCpuBefore = cpuSecondsOf(server.child.pid!);
  const load = await runCannon({
    url: server.baseUrl,
    connections: concurrency,
    amount: cycleTokens.length * 4,
    requests: [
      {
        method: 'GET',
        setupRequest: (request, context) => {
          const cycle = context as Cycle;
          const index = nextCycle++;
          cycle.token = cycleTokens[index]!;
          cycle.bodies = cycleBodies[index]!;
          return { ...request, path: `/api/v1/respond/${cycle.token}` };
        },
      },
      { method: 'PUT', headers: json, setupRequest: (request, context) => ({ ...request, path: `/api/v1/respond/${(context as Cycle).token}/answers`, body: (context as Cycle).bodies[0] }) },
      { method: 'PUT', headers: json, setupRequest: (request, context) => ({ ...request, path: `/api/v1/respond/${(context as Cycle).token}/answers`, body: (context as Cycle).bodies[1] }) },
      {
        method: 'POST',
        headers: json,
        body: '{}',
        setupRequest: (request, context) => ({ ...request, path: `/api/v1/respond/${(context as Cycle).token}/submit` }),
        onResponse: (status) => void (status === 201 && receipts++),
      },
    ],
  });
  return { load, receipts, serverCpuMs: ((cpuSecondsOf(server.child.pid!) - serverCpuBefore) / load.requests) * 1000 };
}

/** One timed HTTP request on loopback; returns the size of the body as received (decompressed). */
export async function timed(record: (ms: number, ok: boolean) => void, url: string, init?: RequestInit, expected = [200, 201]): Promise<{ status: number; bodyBytes: number }> {
  const started = process.hrtime.bigint();
  const response = await fetch(url, init);
  const bodyBytes = (await response.arrayBuffer()).byteLength;
  record(Number(process.hrtime.bigint() - started) / 1e6, expected.includes(response.status));
  return { status: response.status, bodyBytes };
}

/** The node flags `npm start` gives the production server (package.json is the one place they
 * are written), so the benchmarks measure the server as it runs. */
export function productionNodeFlags(): string[] {
  const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start;
  return /\bnode ((?:--\S+ )*)dist\/server\/main\.js/.exec(start)?.[1]!.trim().split(' ').filter(Boolean) ?? [];
}

/** The production build on a database, as `npm start` runs it (without the demo or the in-process
 * dispatcher); SERVER_FLAGS adds node flags for profiling (`--cpu-prof …`). */
export function startProductionServer(databasePath: string, dataDir: string, secretKey: string): Promise<ServerProcess> {
  const extraFlags = process.env.SERVER_FLAGS ? process.env.SERVER_FLAGS.split(' ') : [];
  return startServer([...productionNodeFlags(), ...extraFlags, 'dist/server/main.js'], { PORT: '0', DATABASE_PATH: databasePath, DATA_DIR: dataDir, SECRET_KEY: secretKey, DEMO: '0', DISPATCHER: '0', LOG_LEVEL: 'info' });
}

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  /** peak resident memory so far, in MB (VmHWM) */
  peakRssMb(): number;
  /** resident memory now, in MB (VmRSS) */
  rssMb(): number;
  stop(): Promise<void>;
}

/** Starts a node script and waits for a line carrying `"port":N`. */
export async function startServer(args: string[], env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let started = false;
  // once started, the output (request logs) is read and dropped, not kept
  child.stdout!.on('data', (chunk) => (started ? undefined : (output += chunk)));
  child.stderr!.on('data', (chunk) => (started ? process.stderr.write(chunk) : (output += chunk)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start:\n' + output)), 30_000);
    const check = () => {
      const match = /"port":(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        started = true;
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.on('exit', () => {
      if (!started) reject(new Error('server exited:\n' + output));
    });
  });
  return {
    child,
    baseUrl: `http://127.0.0.1:${port}`,
    peakRssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    },
    rssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    },
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface Figure {
  id: string;
  name: string;
  value: number;
  unit: string;
  target?: string;
  met?: boolean;
}

export function report(figure: Figure): Figure {
  const verdict = figure.met === undefined ? '' : figure.met ? '  [met]' : '  [MISSED]';
  console.log(`${figure.id.padEnd(4)} ${figure.name.padEnd(58)} ${figure.value.toFixed(figure.value >= 100 ? 0 : 2).padStart(10)} ${figure.unit.padEnd(10)} ${figure.target ? 'target ' + figure.target : ''}${verdict}`);
  return figure;
}
