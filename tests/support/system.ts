import path from 'node:path';
import { importAgencies } from '../../server/agencies/service.js';
import { exportLinks } from '../../server/invitations/service.js';
import { addDays, dayIn, systemClock } from '../../server/platform/clock.js';
import { openDatabase, type Db } from '../../server/platform/db.js';
import { importRespondents } from '../../server/respondents/service.js';
import { changeSurveyStatus, loadSurveyDefinition } from '../../server/surveys/service.js';
import { startServer, type ServerProcess } from '../../bench/lib.js';
import { testSurvey } from '../fixtures/survey.js';
import { AGENCIES_CSV, TEST_SECRET } from '../helpers.js';

/** Whole-system tests run the real server (or CLI) as a child process on a real SQLite file, on
 * the real clock: the test survey is open around today, and its quality rules are off so that
 * quick submissions are not flagged. */

export function respondentsCsv(count: number, agency = 'PROV-A'): string {
  const rows = Array.from({ length: count }, (_, index) => `${agency},internal,Pegawai ${index},pegawai${index}@example.id`);
  return `agency_code,group,name,email\n${rows.join('\n')}\n`;
}

/** A database file with the open test survey and `respondents` internal respondents; their tokens. */
export async function prepareSystemDatabase(dir: string, respondents: number): Promise<{ databasePath: string; tokens: string[] }> {
  const databasePath = path.join(dir, 'system.db');
  const db = openDatabase(databasePath);
  const today = dayIn(new Date(), 'Asia/Jakarta');
  loadSurveyDefinition(db, systemClock, testSurvey({ opens: addDays(today, -1), closes: addDays(today, 30), quality: undefined }));
  changeSurveyStatus(db, systemClock, 'SPI-TEST', 'open');
  await importAgencies(db, systemClock, Buffer.from(AGENCIES_CSV));
  await importRespondents(db, systemClock, TEST_SECRET, 'SPI-TEST', Buffer.from(respondentsCsv(respondents)));
  const tokens = [...exportLinks(db, TEST_SECRET, 'http://x', 'SPI-TEST', {})].map((row) => row.link.slice(row.link.lastIndexOf('/') + 1));
  db.close();
  return { databasePath, tokens };
}

/** The server from its sources (`server/main.ts`), as `npm start` runs it but without building. */
export function startSystemServer(dir: string, databasePath: string): Promise<ServerProcess> {
  return startServer(['--import', 'tsx', 'server/main.ts'], {
    PORT: '0',
    DATABASE_PATH: databasePath,
    DATA_DIR: dir,
    SECRET_KEY: TEST_SECRET.toString(),
    DEMO: '0',
    DISPATCHER: '0',
    LOG_LEVEL: 'info',
  });
}

/** What must hold in any database, whatever happened to the process writing it. */
export function consistencyProblems(db: Db): string[] {
  const problems: string[] = [];
  const integrity = db.pragma('integrity_check', { simple: true });
  if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
  const foreignKeys = db.pragma('foreign_key_check') as unknown[];
  if (foreignKeys.length > 0) problems.push(`foreign_key_check: ${foreignKeys.length} row(s)`);
  const count = (sql: string) => db.prepare(sql).pluck().get() as number;
  const completed = count(`SELECT COUNT(*) FROM invitations WHERE status = 'completed'`);
  const webResponses = count(`SELECT COUNT(*) FROM responses WHERE source = 'web'`);
  if (completed !== webResponses) problems.push(`${completed} completed invitations but ${webResponses} web responses`);
  const orphanAnswers = count(`SELECT COUNT(*) FROM response_answers WHERE response_id NOT IN (SELECT id FROM responses)`);
  if (orphanAnswers > 0) problems.push(`${orphanAnswers} answers without their response`);
  const orphanScores = count(`SELECT COUNT(*) FROM response_scores WHERE response_id NOT IN (SELECT id FROM responses)`);
  if (orphanScores > 0) problems.push(`${orphanScores} dimension scores without their response`);
  const emptyResponses = count(`SELECT COUNT(*) FROM responses WHERE id NOT IN (SELECT response_id FROM response_answers)`);
  if (emptyResponses > 0) problems.push(`${emptyResponses} responses without answers`);
  const completedWithoutReceipt = count(`SELECT COUNT(*) FROM invitations WHERE status = 'completed' AND (receipt_code IS NULL OR draft_json IS NOT NULL)`);
  if (completedWithoutReceipt > 0) problems.push(`${completedWithoutReceipt} completed invitations without receipt or with a draft left`);
  return problems;
}
