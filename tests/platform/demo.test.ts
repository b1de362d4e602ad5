import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { DEMO_ACCOUNTS, loadDemo, type DemoSummary } from '../../server/demo.js';
import { ManualClock } from '../../server/platform/clock.js';
import { createLogger } from '../../server/platform/logger.js';
import { startReaderThread, type Reader } from '../../server/platform/readerThread.js';
import { signInStaff, tempDatabase, TEST_SECRET } from '../helpers.js';

// The demo as `npm start` loads it, on a day chosen so that its earlier round falls in 2025.
let database: ReturnType<typeof tempDatabase>;
let reader: Reader;
let app: ReturnType<typeof createApp>;
let demo: DemoSummary;
beforeAll(async () => {
  database = tempDatabase();
  const clock = new ManualClock('2026-12-07T03:00:00Z');
  demo = await loadDemo(database.db, clock, TEST_SECRET, 'http://integritas.test', 'Asia/Jakarta');
  const config = loadConfig({ DATABASE_PATH: database.databasePath, DATA_DIR: database.dir, LOG_LEVEL: 'silent', PUBLIC_URL: 'http://integritas.test' });
  const logger = createLogger('silent');
  reader = startReaderThread(database.db, logger);
  app = createApp({ config, db: database.db, clock, secretKey: TEST_SECRET, logger, reader });
}, 60_000);
afterAll(async () => {
  await reader.stop();
  database.cleanup();
});

describe('the demo data', () => {
  it('holds this year’s open round and the same survey a year earlier, closed, answered and published on its own dates', () => {
    expect(demo.surveyCode).toBe('SPI-DEMO');
    expect(demo.earlierSurveyCode).toBe('SPI-DEMO-2025');
    const db = database.db;
    const surveys = db.prepare(`SELECT code, status, opens_on AS opens, closes_on AS closes, json_extract(definition_json, '$.title.id') AS title FROM surveys ORDER BY opens_on`).all();
    expect(surveys).toEqual([
      { code: 'SPI-DEMO-2025', status: 'closed', opens: '2025-11-30', closes: '2026-02-05', title: 'Survei Penilaian Integritas 2025 (demo)' },
      { code: 'SPI-DEMO', status: 'open', opens: '2026-11-30', closes: '2027-02-05', title: 'Survei Penilaian Integritas 2026 (demo)' },
    ]);
    const answered = db
      .prepare(`SELECT s.code, COUNT(*) AS responses, MIN(r.submitted_on) AS first, MAX(r.submitted_on) AS last FROM responses r JOIN surveys s ON s.id = r.survey_id GROUP BY s.code ORDER BY s.code`)
      .all() as { code: string; responses: number; first: string; last: string }[];
    expect(answered.map((row) => row.code)).toEqual(['SPI-DEMO', 'SPI-DEMO-2025']);
    expect(answered[1]!.responses).toBe(answered[0]!.responses);
    expect([answered[1]!.first, answered[1]!.last]).toEqual(['2025-12-07', '2025-12-07']);
    const published = db.prepare(`SELECT s.code, p.published_at AS at, p.published_by AS actor FROM published_results p JOIN surveys s ON s.id = p.survey_id`).all();
    expect(published).toEqual([{ code: 'SPI-DEMO-2025', at: '2026-02-20T03:00:00.000Z', actor: DEMO_ACCOUNTS[0].email }]);
    const earlierActions = db
      .prepare(`SELECT f.status FROM follow_up_actions f JOIN surveys s ON s.id = f.survey_id WHERE s.code = 'SPI-DEMO-2025' ORDER BY f.id`)
      .pluck()
      .all();
    expect(earlierActions).toEqual(['done', 'done', 'dropped']);
    // and its respondents' personal data was erased once its results were final; this year's is kept
    const contacts = db
      .prepare(`SELECT s.code, COUNT(*) FILTER (WHERE r.email IS NOT NULL OR r.phone IS NOT NULL) AS reachable, MIN(r.erased_on) AS erased FROM respondents r JOIN surveys s ON s.id = r.survey_id GROUP BY s.code ORDER BY s.code`)
      .all();
    expect(contacts).toEqual([
      { code: 'SPI-DEMO', reachable: 52, erased: null },
      { code: 'SPI-DEMO-2025', reachable: 0, erased: '2026-03-07' },
    ]);
  });

  it('shows the earlier round to the public, with each agency’s index and category', async () => {
    const index = (await request(app).get('/hasil').expect(200)).text;
    expect(index).toContain('/hasil/SPI-DEMO-2025');
    expect(index).not.toContain('/hasil/SPI-DEMO"');
    const round = (await request(app).get('/hasil/SPI-DEMO-2025').expect(200)).text;
    for (const agency of ['Provinsi Nusa Tenggara Timur', 'Kota Kupang', 'Kabupaten Sikka']) expect(round).toContain(agency);
    const ranking = (await request(app).get('/hasil/SPI-DEMO-2025/peringkat.csv').expect(200)).text.trim().split('\n');
    expect(ranking.length).toBeGreaterThan(3);
  });

  it('gives Kota Kupang a trend over both rounds, its improvement and what became of last round’s actions', async () => {
    const administrator = DEMO_ACCOUNTS[0]; // inspectors see results once a round closes
    const { agent } = await signInStaff(app, administrator.email, administrator.password);
    const page = (await agent.get('/staff/results/SPI-DEMO/agencies/KOTA-KUPANG').expect(200)).text;
    expect(page).toContain('SPI-DEMO-2025');
    expect(page).toMatch(/Perubahan sejak putaran sebelumnya: \+\d/);
    expect(page).toContain('Tindak lanjut putaran sebelumnya (Survei Penilaian Integritas 2025 (demo)): 3, dengan 2 selesai, 0 berjalan, 0 direncanakan, 1 dibatalkan; 0 lewat tenggat.');
  });
});
