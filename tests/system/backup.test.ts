import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../server/cli.js';
import { openDatabase } from '../../server/platform/db.js';
import { completeInternalAnswers, TEST_SECRET, tempDir } from '../helpers.js';
import { consistencyProblems, prepareSystemDatabase, startSystemServer } from '../support/system.js';

/** Issue 7 §1: `backup FILE` while respondents keep submitting. */
describe('npm run cli -- backup FILE during load', () => {
  it('yields a database that opens, passes integrity_check and holds every response acknowledged before it began', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const { databasePath, tokens } = await prepareSystemDatabase(dir, 600);
      const server = await startSystemServer(dir, databasePath);
      const receipts: string[] = [];
      let stop = false;
      let next = 0;
      const body = JSON.stringify({ answers: completeInternalAnswers() });
      const submitter = async () => {
        while (!stop && next < tokens.length) {
          const response = await fetch(`${server.baseUrl}/api/v1/respond/${tokens[next++]}/submit`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
          expect(response.status).toBe(201);
          receipts.push(((await response.json()) as { receipt: string }).receipt);
        }
      };
      const load = Promise.all(Array.from({ length: 16 }, submitter));
      while (receipts.length < 100) await new Promise((resolve) => setTimeout(resolve, 2));

      const acknowledgedBefore = [...receipts];
      const backupPath = path.join(dir, 'backup.db');
      let output = '';
      const code = await runCli(['backup', backupPath], { stdout: (text) => (output += text), stderr: (text) => (output += text) }, { ...process.env, DATABASE_PATH: databasePath, DATA_DIR: dir, SECRET_KEY: TEST_SECRET.toString(), LOG_LEVEL: 'silent' });
      stop = true;
      await load;
      await server.stop();
      expect({ code, output }).toEqual({ code: 0, output: `Backup written to ${backupPath}.\n` });

      const backup = openDatabase(backupPath);
      expect(consistencyProblems(backup)).toEqual([]);
      const inBackup = new Set(backup.prepare(`SELECT receipt_code FROM invitations WHERE status = 'completed'`).pluck().all());
      for (const receipt of acknowledgedBefore) expect(inBackup.has(receipt)).toBe(true);
      expect(backup.prepare(`SELECT COUNT(*) FROM responses`).pluck().get()).toBe(inBackup.size);
      backup.close();
      // the load really ran alongside, and went on after the snapshot
      expect(receipts.length).toBeGreaterThan(acknowledgedBefore.length);

      // restoring is copying the file back (README): the server starts on it
      const restored = await startSystemServer(dir, backupPath);
      expect((await fetch(`${restored.baseUrl}/api/v1/respond/${tokens[0]}`)).status).toBe(409);
      await restored.stop();
    } finally {
      cleanup();
    }
  }, 120_000);
});
