/** npm run bench:compare -- <git ref> [--concurrency 8] [--rounds 8] [--cycles 896] [--node-flags-b "--flag …"]
 * The respondent API of this working tree against the same API at an earlier commit, for the
 * before/after figures of a change. This machine's speed drifts from one minute to the next (see
 * BENCHMARKS.md), so both servers run side by side on copies of one database and take turns, in
 * the order A B B A, A B B A …; each pair of neighbouring rounds gives a ratio of server CPU time
 * per request, and the median of those ratios is printed with the throughputs. --node-flags-b adds
 * node flags to B only, to try a flag on the same commit (give HEAD as the ref). */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { answerWithCannon, productionNodeFlags, startServer, type ServerProcess } from './lib.js';
import { loadDatabase, twoPageAnswers } from './load.js';

const SECRET = 'benchmark-secret-key-of-at-least-32-characters';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { concurrency: { type: 'string', default: '8' }, rounds: { type: 'string', default: '8' }, cycles: { type: 'string', default: '896' }, 'node-flags-b': { type: 'string', default: '' } },
  });
  const baseRef = positionals[0];
  if (!baseRef) throw new Error('usage: npm run bench:compare -- <git ref> [--concurrency 8] [--rounds 8] [--cycles 896] [--node-flags-b "--flag …"]');
  const concurrency = Number(values.concurrency);
  const rounds = Number(values.rounds);
  // autocannon splits the requests evenly over the connections
  const cycles = Math.ceil(Number(values.cycles) / concurrency) * concurrency;
  const work = mkdtempSync(path.join(tmpdir(), 'integritas-compare-'));
  const baseTree = path.join(work, 'base');
  const servers: ServerProcess[] = [];
  try {
    // the earlier commit, checked out beside this one and built with the same node_modules
    execFileSync('git', ['worktree', 'add', '--detach', '--quiet', baseTree, baseRef], { stdio: 'inherit' });
    symlinkSync(path.resolve('node_modules'), path.join(baseTree, 'node_modules'));
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: baseTree, stdio: 'inherit' });
    execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });

    const databasePath = path.join(work, 'current.db');
    const { tokens, questionnaire } = await loadDatabase(databasePath, Buffer.from(SECRET), rounds * cycles + 1);
    copyFileSync(databasePath, path.join(work, 'base.db'));
    const environment = (database: string) => ({ PORT: '0', DATABASE_PATH: path.join(work, database), DATA_DIR: work, SECRET_KEY: SECRET, DEMO: '0', DISPATCHER: '0', LOG_LEVEL: 'info' });
    const base = await startServer([...productionNodeFlags(), path.join(baseTree, 'dist/server/main.js')], environment('base.db'));
    servers.push(base);
    const current = await startServer([...productionNodeFlags(), ...values['node-flags-b'].split(' ').filter(Boolean), 'dist/server/main.js'], environment('current.db'));
    servers.push(current);
    const answers = twoPageAnswers(questionnaire, 7);

    console.log(`${baseRef} (A) against this working tree (B): ${rounds} rounds of ${cycles} respondents each at c=${concurrency}`);
    const cpuMs: Record<'A' | 'B', number[]> = { A: [], B: [] };
    const requestsPerSecond: Record<'A' | 'B', number[]> = { A: [], B: [] };
    for (let round = 0; round < rounds; round++) {
      const slice = tokens.slice(round * cycles, (round + 1) * cycles);
      for (const which of round % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) {
        const run = await answerWithCannon(which === 'A' ? base : current, slice, answers, concurrency);
        if (run.load.errors > 0 || run.receipts !== cycles) throw new Error(`${which}: ${run.load.errors} errors, ${run.receipts} of ${cycles} receipts`);
        const perSecond = run.load.requests / run.load.seconds;
        cpuMs[which].push(run.serverCpuMs);
        requestsPerSecond[which].push(perSecond);
        console.log(`  round ${round + 1} ${which}: ${perSecond.toFixed(0)} req/s, server CPU ${run.serverCpuMs.toFixed(3)} ms/request`);
      }
    }
    // the first round of each warms the JIT up; ratios from the rounds after it
    const ratios = cpuMs.B.slice(1).map((b, index) => b / cpuMs.A[index + 1]!);
    console.log(`server CPU ms/request, median: A ${median(cpuMs.A.slice(1)).toFixed(3)}, B ${median(cpuMs.B.slice(1)).toFixed(3)}`);
    console.log(`B / A, median of the round pairs: ${median(ratios).toFixed(3)} (pairs ${ratios.map((ratio) => ratio.toFixed(2)).join(' ')})`);
    console.log(`req/s, best round: A ${Math.max(...requestsPerSecond.A).toFixed(0)}, B ${Math.max(...requestsPerSecond.B).toFixed(0)}`);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    execFileSync('git', ['worktree', 'remove', '--force', baseTree]);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
