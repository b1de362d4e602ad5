import { spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/platform/db.js';
import { completeInternalAnswers, createWorld, TEST_SECRET, tempDir, type World } from '../helpers.js';
import { consistencyProblems, prepareSystemDatabase, respondentsCsv, startSystemServer } from '../support/system.js';

/** Issue 7 §1: the process dies or the disk fails at the worst moment; nothing acknowledged is lost
 * and nothing is half-written. */

const SUBMITTERS = 32;

describe('SIGKILL during 32 concurrent submissions', () => {
  it('keeps every submission that got a receipt, and no response without its completed invitation (or the reverse)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const { databasePath, tokens } = await prepareSystemDatabase(dir, 400);
      const server = await startSystemServer(dir, databasePath);
      const receipts = new Map<string, string>(); // token -> receipt code
      let killed = false;
      let next = 0;
      const answers = JSON.stringify({ answers: completeInternalAnswers() });
      const submitter = async () => {
        while (!killed && next < tokens.length) {
          const token = tokens[next++]!;
          try {
            const response = await fetch(`${server.baseUrl}/api/v1/respond/${token}/submit`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: answers });
            if (response.status === 201) receipts.set(token, ((await response.json()) as { receipt: string }).receipt);
          } catch {
            // the connection died with the server: this submission got no receipt
          }
        }
      };
      const running = Promise.all(Array.from({ length: SUBMITTERS }, submitter));
      // kill while all 32 are busy: after the first 60 receipts
      while (receipts.size < 60) await new Promise((resolve) => setTimeout(resolve, 2));
      killed = true;
      const exited = new Promise((resolve) => server.child.once('exit', (_code, signal) => resolve(signal)));
      server.child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      await running;
      expect(receipts.size).toBeLessThan(tokens.length);

      // restart on the same file: SQLite recovers from its WAL
      const restarted = await startSystemServer(dir, databasePath);
      try {
        const db = openDatabase(databasePath);
        expect(consistencyProblems(db)).toEqual([]);
        const stored = new Map(db.prepare(`SELECT receipt_code AS receipt, status FROM invitations WHERE receipt_code IS NOT NULL`).all().map((row) => [(row as { receipt: string }).receipt, (row as { status: string }).status]));
        for (const receipt of receipts.values()) expect(stored.get(receipt)).toBe('completed');
        // at most the submissions in flight were stored without their receipt reaching the client
        expect(stored.size - receipts.size).toBeGreaterThanOrEqual(0);
        expect(stored.size - receipts.size).toBeLessThanOrEqual(SUBMITTERS);
        // no partial answers: every response has exactly the answers of a complete submission
        expect(db.prepare(`SELECT DISTINCT n FROM (SELECT COUNT(*) AS n FROM response_answers GROUP BY response_id)`).pluck().all()).toHaveLength(1);
        db.close();
        // after the restart, an acknowledged link says "already submitted"; one never sent still works
        const acknowledged = [...receipts.keys()][0]!;
        expect((await fetch(`${restarted.baseUrl}/api/v1/respond/${acknowledged}/submit`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: answers })).status).toBe(409);
        const untouched = tokens[tokens.length - 1]!;
        expect((await fetch(`${restarted.baseUrl}/api/v1/respond/${untouched}/submit`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: answers })).status).toBe(201);
      } finally {
        await restarted.stop();
      }
    } finally {
      cleanup();
    }
  }, 120_000);
});

describe('SIGKILL during a large respondents import', () => {
  it('stores all of the file or none of it, and the import run again stores it once', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const { databasePath } = await prepareSystemDatabase(dir, 0);
      const file = path.join(dir, 'respondents.csv');
      const rows = 40_000;
      writeFileSync(file, respondentsCsv(rows, 'KOTA-B'));
      const env = { ...process.env, DATABASE_PATH: databasePath, DATA_DIR: dir, SECRET_KEY: TEST_SECRET.toString(), LOG_LEVEL: 'silent' };
      const countRespondents = () => {
        const db = openDatabase(databasePath);
        const counts = db.prepare(`SELECT (SELECT COUNT(*) FROM respondents) AS respondents, (SELECT COUNT(*) FROM invitations) AS invitations`).get() as { respondents: number; invitations: number };
        expect(consistencyProblems(db)).toEqual([]);
        db.close();
        return counts;
      };
      const walPath = databasePath + '-wal';
      const walSizeBefore = existsSync(walPath) ? statSync(walPath).size : 0;

      const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'respondents', 'import', '--survey', 'SPI-TEST', file], { env, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      // The import writes in one transaction; pages spill to the WAL while it runs. Kill then.
      let exitedEarly = false;
      void exited.then(() => (exitedEarly = true));
      while (!exitedEarly && (existsSync(walPath) ? statSync(walPath).size : 0) <= walSizeBefore + 64 * 1024) await new Promise((resolve) => setTimeout(resolve, 1));
      const killedWhileRunning = !exitedEarly;
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(killedWhileRunning).toBe(true);

      const afterKill = countRespondents();
      expect(afterKill.respondents === 0 || afterKill.respondents === rows).toBe(true);
      expect(afterKill.invitations).toBe(afterKill.respondents);

      const again = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'respondents', 'import', '--survey', 'SPI-TEST', file], { env, stdio: 'ignore' });
      expect(await new Promise((resolve) => again.once('exit', resolve))).toBe(0);
      expect(countRespondents()).toEqual({ respondents: rows, invitations: rows });
    } finally {
      cleanup();
    }
  }, 180_000);
});

describe('a read-only or full disk', () => {
  async function faultWorld(): Promise<World> {
    const world = await createWorld();
    // Pack the file into 512-byte pages with none free, so that a limit on the page count stands
    // for a full disk: the next write that needs a page fails with SQLITE_FULL. (A read-only
    // connection stands for a read-only disk. Both are SQLite's own errors, as on a real disk,
    // and need no root to provoke.)
    world.db.pragma('journal_mode = DELETE');
    world.db.pragma('page_size = 512');
    world.db.exec('VACUUM');
    world.db.pragma('journal_mode = WAL');
    return world;
  }
  const counts = (world: World) => world.db.prepare(`SELECT (SELECT COUNT(*) FROM responses) AS responses, (SELECT COUNT(*) FROM invitations WHERE status = 'completed') AS completed, (SELECT draft_json FROM invitations WHERE id = 1) AS firstDraft`).get();

  for (const fault of ['read-only', 'full'] as const) {
    it(`${fault}: respondents get 503 "coba lagi sebentar lagi", nothing is written or corrupted, and it recovers with the disk`, async () => {
      const world = await faultWorld();
      try {
        const token = world.tokens.get('Ani')!;
        await request(world.app).put(`/api/v1/respond/${token}/answers`).send({ answers: { I_TR_1: '3' } }).expect(200);
        if (fault === 'read-only') world.db.pragma('query_only = ON');
        else world.db.pragma(`max_page_count = ${Number(world.db.pragma('page_count', { simple: true }))}`);

        // Respondents keep submitting; on a read-only disk the first fails, on a full one the first
        // that needs a new page. Each failure must leave no trace.
        let failed: { name: string; body: Record<string, unknown>; retryAfter: string | undefined } | undefined;
        for (const name of ['Budi', 'Cici', 'Dodi', 'Eka', 'Gita']) {
          const before = counts(world);
          const submit = await request(world.app).post(`/api/v1/respond/${world.tokens.get(name)}/submit`).send({ answers: completeInternalAnswers() });
          if (submit.status === 201) continue;
          expect(submit.status).toBe(503);
          expect(counts(world)).toEqual(before);
          failed = { name, body: submit.body as Record<string, unknown>, retryAfter: submit.headers['retry-after'] };
          break;
        }
        expect(failed).toBeDefined();
        expect(failed!.retryAfter).toBe('30');
        expect(failed!.body.message).toContain('coba lagi sebentar lagi');
        expect(JSON.stringify(failed!.body)).not.toMatch(/SQLITE|at \w+ \(/); // no internals
        if (fault === 'read-only') {
          const page = await request(world.app).post(`/r/${token}/p/1`).type('form').send({ I_TR_1: '4', I_TR_2: '4', I_GATE: 'no' });
          expect(page.status).toBe(503);
          expect(page.text).toContain('coba lagi sebentar lagi');
          expect(page.text).not.toMatch(/SQLITE|Error:/);
          // the draft saved before the fault is still there
          expect(JSON.parse((counts(world) as { firstDraft: string }).firstDraft)).toEqual({ I_TR_1: '3' });
        }
        expect(world.db.pragma('integrity_check', { simple: true })).toBe('ok');

        // the disk recovers: the same request now succeeds
        if (fault === 'read-only') world.db.pragma('query_only = OFF');
        else world.db.pragma('max_page_count = 1073741823');
        const retried = await request(world.app).post(`/api/v1/respond/${world.tokens.get(failed!.name)}/submit`).send({ answers: completeInternalAnswers() }).expect(201);
        expect(retried.body.receipt).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
        expect(consistencyProblems(world.db)).toEqual([]);
      } finally {
        world.cleanup();
      }
    });
  }
});
