/** npm run bench:proxy -- [direct|haproxy|nginx] [--respondents 500] [--seconds 60] [--maxconn 32]
 * bench:load's 500 respondents opening their connections at once, answered directly by the
 * production server or through a reverse proxy on loopback (installed from Debian if missing).
 * Under full load Node 20 accepts one new connection per turn of its event loop (libuv 1.46), so a
 * burst of new connections waits tens of seconds to be accepted directly. HAProxy with `maxconn`
 * on the server line keeps at most that many connections to Node and queues the rest itself; nginx
 * (open source) has no such queue: `keepalive` only bounds its idle connections (BENCHMARKS.md,
 * "Load"). Prints throughput, latency percentiles, errors and the requests that took over 1 s. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startProductionServer } from './lib.js';
import { loadDatabase, respondentLoad, twoPageAnswers, type Transport } from './load.js';

const SECRET = 'benchmark-secret-key-of-at-least-32-characters';
const PROXY_PORT = 18081;

function ensureInstalled(command: string, debianPackage: string): void {
  if (spawnSync('sh', ['-c', `command -v ${command}`]).status === 0) return;
  console.log(`     (installing Debian ${debianPackage})`);
  execFileSync('sh', ['-c', `apt-get update -qq && apt-get install -y -qq ${debianPackage} >/dev/null`]);
}

/** Starts the proxy in front of `upstreamPort`; gives its stop function. */
function startProxy(kind: 'haproxy' | 'nginx', work: string, upstreamPort: string, maxconn: number): () => void {
  if (kind === 'haproxy') {
    ensureInstalled('haproxy', 'haproxy');
    const config = path.join(work, 'haproxy.cfg');
    writeFileSync(
      config,
      [
        'global', '  maxconn 4096',
        'defaults', '  mode http', '  timeout connect 5s', '  timeout client 120s', '  timeout server 120s', '  timeout queue 120s', '  http-reuse always',
        'frontend respondents', `  bind 127.0.0.1:${PROXY_PORT}`, '  default_backend integritas',
        // at most `maxconn` connections to Node; the rest wait in HAProxy's queue
        'backend integritas', `  server node 127.0.0.1:${upstreamPort} maxconn ${maxconn}`, '',
      ].join('\n'),
    );
    const pidFile = path.join(work, 'haproxy.pid');
    execFileSync('haproxy', ['-f', config, '-D', '-p', pidFile]);
    return () => execFileSync('sh', ['-c', `kill $(cat ${pidFile})`]);
  }
  ensureInstalled('nginx', 'nginx');
  const config = path.join(work, 'nginx.conf');
  writeFileSync(
    config,
    `worker_processes 1; pid ${work}/nginx.pid; error_log ${work}/error.log; daemon on;
events { worker_connections 4096; multi_accept on; }
http { access_log off; client_body_temp_path ${work}; proxy_temp_path ${work};
  upstream integritas { server 127.0.0.1:${upstreamPort}; keepalive ${maxconn}; }
  server { listen 127.0.0.1:${PROXY_PORT} backlog=4096;
    location / { proxy_pass http://integritas; proxy_http_version 1.1; proxy_set_header Connection ""; } } }\n`,
  );
  execFileSync('nginx', ['-c', config, '-p', work]);
  return () => execFileSync('nginx', ['-c', config, '-p', work, '-s', 'stop']);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { respondents: { type: 'string', default: '500' }, seconds: { type: 'string', default: '60' }, maxconn: { type: 'string', default: '32' } },
  });
  const mode = positionals[0] ?? 'haproxy';
  if (!['direct', 'haproxy', 'nginx'].includes(mode)) throw new Error('usage: npm run bench:proxy -- [direct|haproxy|nginx] [--respondents 500] [--seconds 60] [--maxconn 32]');
  const respondents = Number(values.respondents);
  const seconds = Number(values.seconds);
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  const work = mkdtempSync(path.join(tmpdir(), 'integritas-proxy-'));
  try {
    const databasePath = path.join(work, 'load.db');
    const { tokens, questionnaire } = await loadDatabase(databasePath, Buffer.from(SECRET), Math.max(1000, seconds * 750));
    const server = await startProductionServer(databasePath, work, SECRET);
    const stopProxy = mode === 'direct' ? () => {} : startProxy(mode as 'haproxy' | 'nginx', work, new URL(server.baseUrl).port, Number(values.maxconn));
    const baseUrl = mode === 'direct' ? server.baseUrl : `http://127.0.0.1:${PROXY_PORT}`;
    // one keep-alive connection per respondent, opened all at once, as bench:load's clients do
    const agent = new http.Agent({ keepAlive: true, maxSockets: respondents * 2 });
    const transport: Transport = (url, init) =>
      new Promise((resolve, reject) => {
        const request = http.request(url, { method: init?.method ?? 'GET', headers: init ? { 'Content-Type': 'application/json' } : {}, agent }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            // a proxy's own error page (502) is HTML: the status tells what happened
            let body: unknown;
            try {
              body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              body = undefined;
            }
            resolve({ status: response.statusCode!, body });
          });
        });
        request.on('error', reject);
        request.end(init?.body);
      });
    console.log(`${respondents} respondents at once for ${seconds} s, ${mode === 'direct' ? 'directly' : `through ${mode} (${mode === 'haproxy' ? 'maxconn' : 'keepalive'} ${values.maxconn})`} …`);
    const outcome = await respondentLoad({ baseUrl, tokens, respondents, seconds, answers: twoPageAnswers(questionnaire, 7), transport });
    agent.destroy();
    stopProxy();
    await server.stop();
    const latencies = outcome.latenciesMs;
    const at = (quantile: number) => latencies[Math.floor(quantile * (latencies.length - 1))]!.toFixed(0);
    console.log(`requests               ${outcome.requests} in ${outcome.seconds.toFixed(1)} s (${(outcome.requests / outcome.seconds).toFixed(0)} req/s)`);
    console.log(`latency p50 / p99 / p99.9 / max   ${at(0.5)} / ${at(0.99)} / ${at(0.999)} / ${at(1)} ms`);
    console.log(`requests over 1 s      ${latencies.filter((ms) => ms > 1000).length}`);
    console.log(`errors                 ${outcome.errors.length}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
