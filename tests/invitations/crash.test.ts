import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { importAgencies } from '../../server/agencies/service.js';
import { queueInvitations, queueReminders } from '../../server/invitations/sending.js';
import { addDays, dayIn, systemClock } from '../../server/platform/clock.js';
import { openDatabase } from '../../server/platform/db.js';
import { importRespondents } from '../../server/respondents/service.js';
import { changeSurveyStatus, loadSurveyDefinition } from '../../server/surveys/service.js';
import { testSurvey } from '../fixtures/survey.js';
import { AGENCIES_CSV, TEST_SECRET, tempDir } from '../helpers.js';

const MESSAGES = 2000;
const CONCURRENCY = 8;

describe('crash safety of the dispatcher', () => {
  it.each(['invitation', 'reminder'] as const)('killed with SIGKILL mid-way through %ss and restarted: everyone got one, duplicates at most the number in flight', async (kind) => {
    const { dir, cleanup } = tempDir();
    const received = new Map<string, number>();
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          for (const recipient of session.envelope.rcptTo) received.set(recipient.address, (received.get(recipient.address) ?? 0) + 1);
          callback();
        });
      },
    });
    // the killed dispatcher's pooled connections end with a reset: expected here, not a failure
    smtp.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET') throw error;
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const total = () => [...received.values()].reduce((sum, count) => sum + count, 0);
    try {
      const databasePath = path.join(dir, 'crash.db');
      const db = openDatabase(databasePath);
      const today = dayIn(new Date(), 'Asia/Jakarta');
      loadSurveyDefinition(db, systemClock, testSurvey({ opens: addDays(today, -1), closes: addDays(today, 30) }));
      changeSurveyStatus(db, systemClock, 'SPI-TEST', 'open');
      await importAgencies(db, systemClock, Buffer.from(AGENCIES_CSV));
      const rows = Array.from({ length: MESSAGES }, (_, index) => `PROV-A,internal,Pegawai ${index},pegawai${index}@example.id`).join('\n');
      await importRespondents(db, systemClock, TEST_SECRET, 'SPI-TEST', Buffer.from(`agency_code,group,name,email\n${rows}\n`));
      expect((await queueInvitations(db, systemClock, { surveyCode: 'SPI-TEST', channel: 'email' }, false)).queued.email).toBe(MESSAGES);
      if (kind === 'reminder') {
        // the invitations went out four days ago; now everyone is due a reminder
        const fourDaysAgo = new Date(Date.now() - 4 * 86_400_000).toISOString();
        db.prepare(`UPDATE messages SET state = 'sent', sent_at = ?, created_at = ?`).run(fourDaysAgo, fourDaysAgo);
        expect((await queueReminders(db, systemClock, { surveyCode: 'SPI-TEST', minDays: 3, max: 3 })).queued).toBe(MESSAGES);
      }
      db.close();

      const environment = {
        ...process.env,
        DATABASE_PATH: databasePath,
        DATA_DIR: dir,
        SECRET_KEY: TEST_SECRET.toString(),
        SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
        EMAIL_RATE_PER_SEC: '5000',
        EMAIL_CONCURRENCY: String(CONCURRENCY),
        DISPATCH_LEASE_SECONDS: '1',
        LOG_LEVEL: 'silent',
      };
      const dispatch = () => spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'dispatch', '--once'], { env: environment, stdio: 'ignore' });

      const first = dispatch();
      const firstExit = new Promise((resolve) => first.on('exit', (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve, reject) => {
        const started = Date.now();
        const timer = setInterval(() => {
          if (total() >= MESSAGES / 4) {
            clearInterval(timer);
            first.kill('SIGKILL');
            resolve();
          } else if (Date.now() - started > 60_000) {
            clearInterval(timer);
            reject(new Error(`only ${total()} messages after 60 s`));
          }
        }, 5);
      });
      expect(await firstExit).toBe('SIGKILL');
      expect(total()).toBeLessThan(MESSAGES);

      // Leases of the messages the dead process held expire after 1 s; then a new run finishes.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      for (let run = 0; run < 3 && total() < MESSAGES; run++) {
        const next = dispatch();
        expect(await new Promise((resolve) => next.on('exit', (code) => resolve(code)))).toBe(0);
      }

      expect(received.size).toBe(MESSAGES);
      const duplicates = total() - MESSAGES;
      expect(duplicates).toBeLessThanOrEqual(CONCURRENCY);
      const check = openDatabase(databasePath);
      expect(check.prepare(`SELECT kind, state, COUNT(*) AS n FROM messages WHERE kind = ? GROUP BY state`).all(kind)).toEqual([{ kind, state: 'sent', n: MESSAGES }]);
      check.close();
    } finally {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      cleanup();
    }
  }, 120_000);
});
