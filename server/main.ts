import type { Server } from 'node:http';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { databaseIsEmpty, DEMO_ACCOUNTS, loadDemo } from './demo.js';
import { createDispatcher } from './invitations/delivery.js';
import { scheduledReminders } from './invitations/sending.js';
import { startCheckpointer } from './platform/checkpointer.js';
import { startReaderThread } from './platform/readerThread.js';
import { systemClock } from './platform/clock.js';
import { openDatabase } from './platform/db.js';
import { createLogger } from './platform/logger.js';
import { loadSecretKey } from './platform/secret.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const db = openDatabase(config.DATABASE_PATH);
  const secretKey = loadSecretKey(config.SECRET_KEY, config.DATA_DIR);
  const clock = systemClock;

  if (config.DEMO && databaseIsEmpty(db)) {
    const demo = await loadDemo(db, clock, secretKey, config.PUBLIC_URL, config.TIMEZONE);
    logger.info({ survey: demo.surveyCode, respondents: demo.respondents }, 'demo data loaded');
    const lines = demo.sampleLinks.map((sample) => `  ${sample.group.padEnd(9)} ${sample.agency.padEnd(12)} ${sample.name.padEnd(22)} ${sample.link}`);
    console.log(`\nDemo survey ${demo.surveyCode} is open. A few respondent links:\n${lines.join('\n')}\nAll links: npm run cli -- links export --survey ${demo.surveyCode}\n`);
    console.log(`The same survey a year earlier, ${demo.earlierSurveyCode}, is closed and its results are public: ${config.PUBLIC_URL}/hasil/${demo.earlierSurveyCode}\n`);
    console.log(`Staff pages: ${config.PUBLIC_URL}/staff (demo accounts)\n${DEMO_ACCOUNTS.map((account) => `  ${account.role.padEnd(13)} ${account.email.padEnd(30)} ${account.password}`).join('\n')}\n`);
  }

  // long reads (monitoring counts, the results document) on a thread of their own (platform/readerThread.ts)
  const reader = startReaderThread(db, logger);
  const app = createApp({ config, db, clock, secretKey, logger, reader });
  const server: Server = app.listen(config.PORT, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    logger.info({ port, publicUrl: config.PUBLIC_URL, database: config.DATABASE_PATH }, 'Integritas is listening');
  });

  // The delivery worker runs in this process unless DISPATCHER=0 (then: npm run cli -- dispatch).
  const dispatcher = config.DISPATCHER ? createDispatcher(config, { db, clock, logger, secretKey }) : undefined;
  dispatcher?.start(2_000, scheduledReminders(db, clock, (queued) => logger.info({ queued }, 'scheduled reminders queued')));

  // WAL checkpoints run on a worker thread, never inside a respondent's commit (platform/checkpointer.ts).
  const checkpointer = startCheckpointer(db, logger);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new connections, finishing requests in flight');
    // Requests in flight finish; idle keep-alive connections are closed so close() can complete.
    server.close(async () => {
      await dispatcher?.stop();
      await checkpointer.stop();
      await reader.stop();
      db.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      logger.warn('requests still running after 10 s; closing anyway');
      server.closeAllConnections();
    }, 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
