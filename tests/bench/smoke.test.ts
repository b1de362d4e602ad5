import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** The benchmarks must not rot: their smoke mode runs every measurement at a tiny size. Figures
 * are printed, never asserted (time belongs in benchmarks, not tests); what is asserted is that
 * each benchmark ran, served its requests without errors, and delivered without duplicates. */
describe('npm run bench -- --smoke', () => {
  it('runs P1 to P6 end to end', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect({ code, output }).toMatchObject({ code: 0 });
    for (const id of ['P1', 'P2', 'P3', 'P4', 'P5', 'P6']) expect(output).toMatch(new RegExp(`^${id} `, 'm'));
    expect(output).toMatch(/^P1\s+c=32: errors \(and receipts short of the cycles\)\s+0\.00 requests\s+target 0\s+\[met\]/m);
    expect(output).toMatch(/^P4\s+duplicates\s+0\.00 messages\s+target 0\s+\[met\]/m);
    expect(output).toMatch(/^P2\s+agency results page, p50 of 2 .*\[met\]/m);
    // the second P3 baseline really stored every row the import stored
    expect(output).toMatch(/^P3\s+sqlite3 inserting the 2000 prepared rows, same schema\s+.*target 2000 rows\s+\[met\]/m);
  }, 180_000);
});
