import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { countStored, loadDatabase, respondentLoad, twoPageAnswers } from '../../bench/load.js';
import { openDatabase } from '../../server/platform/db.js';
import { TEST_SECRET, tempDir } from '../helpers.js';
import { consistencyProblems, startSystemServer } from '../support/system.js';

/** Issue 7 §2, scaled down: `npm run bench:load` runs 500 respondents for 60 s; here 50 for 5 s.
 * Only counts are asserted, never times. */
describe('50 concurrent respondents for 5 s', () => {
  it('zero errors, zero lost responses, one stored response per receipt', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const databasePath = path.join(dir, 'system.db');
      const { tokens, questionnaire } = await loadDatabase(databasePath, TEST_SECRET, 3000);
      const server = await startSystemServer(dir, databasePath);
      const outcome = await respondentLoad({ baseUrl: server.baseUrl, tokens, respondents: 50, seconds: 5, answers: twoPageAnswers(questionnaire, 3) });
      await server.stop();
      expect(outcome.errors).toEqual([]);
      expect(outcome.receipts.length).toBeGreaterThan(50);
      expect(new Set(outcome.receipts).size).toBe(outcome.receipts.length);
      const stored = countStored(databasePath);
      expect(outcome.receipts.filter((receipt) => !stored.receipts.has(receipt))).toEqual([]);
      expect(stored.responses).toBe(outcome.receipts.length);
      expect(stored.completed).toBe(outcome.receipts.length);
      const db = openDatabase(databasePath);
      expect(consistencyProblems(db)).toEqual([]);
      db.close();
    } finally {
      cleanup();
    }
  }, 120_000);
});
