import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../server/cli.js';
import { ManualClock } from '../../server/platform/clock.js';
import { testSurvey } from '../fixtures/survey.js';
import { AGENCIES_CSV, RESPONDENTS_CSV, tempDir } from '../helpers.js';

let dir: string;
let cleanup: () => void;
let environment: NodeJS.ProcessEnv;
const clock = new ManualClock('2026-08-01T00:00:00Z');

beforeEach(() => {
  clock.set('2026-08-01T00:00:00Z');
  ({ dir, cleanup } = tempDir());
  environment = { DATABASE_PATH: path.join(dir, 'cli.db'), DATA_DIR: dir, PUBLIC_URL: 'https://survei.example.id' };
});
afterEach(() => cleanup());

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) }, environment, clock);
  return { code, stdout, stderr };
}

function file(name: string, content: string): string {
  const filePath = path.join(dir, name);
  writeFileSync(filePath, content);
  return filePath;
}

describe('command line', () => {
  it('survey load creates, reloads unchanged, and lists every problem of a bad file (exit 1)', async () => {
    const surveyFile = file('survey.json', JSON.stringify(testSurvey()));
    expect(await cli('survey', 'load', surveyFile)).toEqual({ code: 0, stdout: 'Survey SPI-TEST created (status draft, questionnaire version 1).\n', stderr: '' });
    expect((await cli('survey', 'load', surveyFile)).stdout).toContain('unchanged');

    const bad = testSurvey() as unknown as Record<string, any>;
    bad.groups.internal.weight = 2;
    bad.questionnaires.internal.pages[1].items[0].showIf.item = 'NOPE';
    const result = await cli('survey', 'load', file('bad.json', JSON.stringify(bad)));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('groups: group weights must sum to 1 (they sum to 2.4)');
    expect(result.stderr).toContain('questionnaires.internal.pages[1].items[0].showIf.item: "NOPE" must be an item that stands earlier in the same questionnaire');
    expect((await cli('survey', 'load', file('broken.json', '{"code": '))).stderr).toContain('not valid JSON');
    expect((await cli('survey', 'load', path.join(dir, 'missing.json'))).stderr).toContain('File not found');
  });

  it('once open, questionnaires are locked but texts may still be corrected', async () => {
    const survey = testSurvey();
    await cli('survey', 'load', file('survey.json', JSON.stringify(survey)));
    expect(await cli('survey', 'open', 'SPI-TEST')).toMatchObject({ code: 0, stdout: 'Survey SPI-TEST is open (2026-07-01 to 2026-12-31).\n' });

    const reworded = testSurvey();
    reworded.questionnaires.internal!.pages[0]!.items[0]!.text = { id: 'Informasi layanan diumumkan terbuka.', en: 'Service information is published.' };
    expect(await cli('survey', 'load', file('reworded.json', JSON.stringify(reworded)))).toMatchObject({ code: 0, stdout: expect.stringContaining('updated (status open, questionnaire version 1)') });

    const changed = testSurvey();
    changed.questionnaires.internal!.pages[0]!.items[0]!.options![0]!.score = 10;
    const refused = await cli('survey', 'load', file('changed.json', JSON.stringify(changed)));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('its questionnaires can no longer change');

    expect((await cli('survey', 'close', 'SPI-TEST')).stdout).toContain('is closed');
    expect((await cli('survey', 'load', file('changed2.json', JSON.stringify(changed)))).code).toBe(1);
    expect((await cli('survey', 'open', 'NOPE')).stderr).toContain('No survey with code "NOPE"');
  });

  it('a structural change while still a draft makes a new questionnaire version', async () => {
    await cli('survey', 'load', file('survey.json', JSON.stringify(testSurvey())));
    const changed = testSurvey();
    changed.questionnaires.external!.pages[0]!.items.pop();
    expect((await cli('survey', 'load', file('changed.json', JSON.stringify(changed)))).stdout).toContain('questionnaire version 2');
  });

  it('imports agencies and respondents, printing the report, then exports links that work', async () => {
    await cli('survey', 'load', file('survey.json', JSON.stringify(testSurvey())));
    expect((await cli('agencies', 'import', file('agencies.csv', AGENCIES_CSV))).stdout).toBe('2 row(s) read: 2 stored, 0 updated, 0 duplicate(s), 0 rejected.\n');
    const imported = await cli('respondents', 'import', '--survey', 'SPI-TEST', file('respondents.csv', RESPONDENTS_CSV + 'PROV-A,internal,Bad,bad-email,,,\n'));
    expect(imported.code).toBe(0);
    expect(imported.stdout).toBe('8 row(s) read: 7 stored, 0 updated, 0 duplicate(s), 1 rejected.\n  line 9, column email: "bad-email" is not a valid email address\n');

    const exported = await cli('links', 'export', '--survey', 'SPI-TEST', '--agency', 'PROV-A', '--group', 'internal');
    const lines = exported.stdout.trim().split('\r\n');
    expect(lines[0]).toBe('agency,unit,group,name,email,phone,link');
    expect(lines).toHaveLength(6);
    expect(lines[2]).toMatch(/^PROV-A,Dinas Dua,internal,Budi,budi@example.id,\+6281234567001,https:\/\/survei\.example\.id\/r\/[A-Za-z0-9_-]{24}$/);
    // the link's token is found by its hash, and exporting twice gives the same links
    expect((await cli('links', 'export', '--survey', 'SPI-TEST', '--agency', 'PROV-A', '--group', 'internal')).stdout).toBe(exported.stdout);
    const secretFile = statSync(path.join(dir, 'secret.key'));
    expect(secretFile.mode & 0o777).toBe(0o600);
  });

  it('exports the agencies as a file that imports back unchanged, and with zones filled in', async () => {
    await cli('agencies', 'import', file('agencies.csv', 'code,name,kind,parent_code,units,time_zone\nKOTA-B,"Kota B, Papua",city,PROV-A,Dinas Tiga|Dinas Empat,Asia/Jayapura\nPROV-A,Provinsi A,province,,,\nX,X,other,,,Europe/Berlin\n'));
    const exported = await cli('agencies', 'export');
    expect(exported.stdout.trim().split('\r\n')).toEqual([
      'code,name,kind,parent_code,units,time_zone',
      'KOTA-B,"Kota B, Papua",city,PROV-A,Dinas Empat|Dinas Tiga,WIT',
      'PROV-A,Provinsi A,province,,,',
      'X,X,other,,,Europe/Berlin',
    ]);
    expect((await cli('agencies', 'import', file('again.csv', exported.stdout))).stdout).toMatch(/^3 row\(s\) read: 0 stored, 0 updated, 3 duplicate\(s\), 0 rejected\.\n/);
    // the spreadsheet way: fill in the zone column, import it back
    const filled = exported.stdout.replace('PROV-A,Provinsi A,province,,,', 'PROV-A,Provinsi A,province,,,WITA');
    expect((await cli('agencies', 'import', file('filled.csv', filled))).stdout).toMatch(/^3 row\(s\) read: 0 stored, 1 updated, 2 duplicate\(s\), 0 rejected\.\n/);
    expect((await cli('agencies', 'export')).stdout).toContain('PROV-A,Provinsi A,province,,,WITA');
    expect((await cli('agencies', 'export', 'file.csv')).code).toBe(2);
  });

  it('queues, reports and dispatches invitations and reminders; without SMTP or Twilio the messages land in the outbox folder', async () => {
    const survey = testSurvey({ opens: '2026-07-01', closes: '2026-12-31' });
    await cli('survey', 'load', file('survey.json', JSON.stringify(survey)));
    await cli('agencies', 'import', file('agencies.csv', AGENCIES_CSV));
    await cli('respondents', 'import', '--survey', 'SPI-TEST', file('respondents.csv', RESPONDENTS_CSV));
    expect((await cli('invitations', 'send', '--survey', 'SPI-TEST')).stderr).toContain('messages are only sent while it is open');
    await cli('survey', 'open', 'SPI-TEST');
    expect((await cli('invitations', 'send', '--survey', 'SPI-TEST', '--channel', 'fax')).code).toBe(2);
    expect((await cli('invitations', 'send', '--survey', 'SPI-TEST')).stdout).toBe(
      'Queued 7 invitation(s): 6 by email, 1 by WhatsApp. Already invited: 0. Skipped: 0 already answered, 0 opted out, 0 without a contact for the channel.\n' +
        'At the configured rates (10 email and 10 WhatsApp per second) they leave in under a minute, after the messages already queued.\n',
    );
    expect((await cli('invitations', 'send', '--survey', 'SPI-TEST')).stdout).toContain('Queued 0 invitation(s)');
    expect((await cli('dispatch', '--once')).stdout).toBe('Delivered what was due: 7 sent, 0 to retry, 0 failed, 0 cancelled.\n');
    const outbox = readdirSync(path.join(dir, 'outbox'));
    expect(outbox.filter((name) => name.endsWith('.eml'))).toHaveLength(6);
    const whatsapp = outbox.filter((name) => name.endsWith('.json'));
    expect(whatsapp).toHaveLength(1);
    expect(JSON.parse(readFileSync(path.join(dir, 'outbox', whatsapp[0]!), 'utf8'))).toMatchObject({ to: 'whatsapp:+6281234567002', contentVariables: { '1': 'Fajar', '2': 'Provinsi A' } });
    const status = (await cli('invitations', 'status', '--survey', 'SPI-TEST')).stdout.split('\n');
    expect(status[0]).toMatch(/^agency\s+group\s+respondents\s+queued\s+sent\s+delivered\s+failed\s+bounced\s+opted_out\s+opened\s+started\s+completed$/);
    expect(status[2]).toMatch(/^PROV-A\s+external\s+1\s+0\s+1\s+0\s+0\s+0\s+0\s+0\s+0\s+0$/);
    expect(status[3]).toMatch(/^PROV-A\s+internal\s+5\s+0\s+5\s+/);
    expect((await cli('reminders', 'send', '--survey', 'SPI-TEST')).stdout).toBe('Queued 0 reminder(s).\n');
    clock.advance(4 * 24 * 3600 * 1000);
    expect((await cli('reminders', 'send', '--survey', 'SPI-TEST', '--min-days', '3', '--max', '1', '--agency', 'KOTA-B')).stdout).toBe('Queued 1 reminder(s).\n');
    expect((await cli('reminders', 'send', '--survey', 'SPI-TEST', '--min-days', 'x')).code).toBe(2);
  });

  it('outside SENDING_HOURS, queues but sends nothing, and says when the messages leave', async () => {
    environment.SENDING_HOURS = '07:00-20:00';
    await cli('survey', 'load', file('survey.json', JSON.stringify(testSurvey({ opens: '2026-07-01', closes: '2026-12-31' }))));
    await cli('agencies', 'import', file('agencies.csv', AGENCIES_CSV));
    await cli('respondents', 'import', '--survey', 'SPI-TEST', file('respondents.csv', RESPONDENTS_CSV));
    await cli('survey', 'open', 'SPI-TEST');
    clock.set('2026-08-01T14:00:00Z'); // 21:00 in Jakarta
    const held = 'Outside the sending hours (07:00–20:00, Asia/Jakarta): queued messages leave from 2026-08-02 07:00.\n';
    const queued = (await cli('invitations', 'send', '--survey', 'SPI-TEST')).stdout;
    expect(queued).toMatch(/^Queued 7 invitation\(s\)/);
    expect(queued).toContain("Within the sending hours (07:00–20:00, each agency's local time) they are done around 2026-08-02 07:00 (Asia/Jakarta) at the earliest.\n");
    expect(queued.endsWith(held)).toBe(true);
    expect((await cli('dispatch', '--once')).stdout).toBe('Delivered what was due: 0 sent, 0 to retry, 0 failed, 0 cancelled.\n' + held);
    expect(existsSync(path.join(dir, 'outbox'))).toBe(false);
    clock.set('2026-08-02T00:00:00Z'); // 07:00
    expect((await cli('dispatch', '--once')).stdout).toBe('Delivered what was due: 7 sent, 0 to retry, 0 failed, 0 cancelled.\n');
    // inside the hours nothing more is said
    expect((await cli('invitations', 'send', '--survey', 'SPI-TEST')).stdout).not.toContain('sending hours');
  });

  it('imports paper responses, records corrections and reviews, and prints results as JSON and CSV', async () => {
    await cli('survey', 'load', file('survey.json', JSON.stringify(testSurvey())));
    await cli('survey', 'open', 'SPI-TEST');
    await cli('agencies', 'import', file('agencies.csv', AGENCIES_CSV));
    const paper = ['agency_code,group,entry_id,duration_seconds,I_TR_1,I_TR_2,I_GATE,I_YEARS,E_TR_1', 'PROV-A,internal,A1,300,4,3,no,4,', 'PROV-A,internal,A2,20,2,2,no,1,', 'PROV-A,external,B1,,,,,,4', 'PROV-A,external,B2,,,,,,3'].join('\n');
    expect((await cli('responses', 'import', '--survey', 'SPI-TEST', file('paper.csv', paper))).stdout).toBe('4 row(s) read: 4 stored, 0 updated, 0 duplicate(s), 0 rejected.\n');
    expect((await cli('corrections', 'add', '--survey', 'SPI-TEST', '--agency', 'PROV-A', '--points', '1,5', '--reason', 'Kasus gratifikasi')).stdout).toBe('Correction of 1.5 point(s) recorded for PROV-A.\n');
    expect((await cli('corrections', 'add', '--survey', 'SPI-TEST', '--agency', 'PROV-A', '--points=-1', '--reason', 'x')).code).toBe(1);
    expect((await cli('corrections', 'add', '--survey', 'SPI-TEST', '--agency', 'PROV-A', '--points', '2')).code).toBe(2);

    const flagged = (await cli('responses', 'flagged', '--survey', 'SPI-TEST')).stdout.trim().split('\r\n');
    expect(flagged).toHaveLength(2);
    expect(flagged[1]).toMatch(/^[0-9a-f]{32},PROV-A,internal,2026-08-01,20,import,speeder,excluded,$/);
    const responseId = flagged[1]!.split(',')[0]!;
    expect((await cli('responses', 'clear-flags', '--survey', 'SPI-TEST', '--response', responseId, '--reason', 'durasi salah catat')).code).toBe(0);
    expect((await cli('responses', 'flagged', '--survey', 'SPI-TEST')).stdout).toContain('speeder,counted,durasi salah catat');

    const json = JSON.parse((await cli('results', '--survey', 'SPI-TEST')).stdout);
    const prov = json.agencies.find((agency: { code: string }) => agency.code === 'PROV-A');
    // internal: TR = mean((100 + 66.6667) / 2, (33.3333 + 33.3333) / 2) = 58.333325; external: (100 + 66.6667) / 2
    expect(prov.groups.internal.component).toBeCloseTo(58.333325, 6);
    expect(prov.indexRaw).toBeCloseTo(0.6 * 58.333325 + 0.4 * 83.33335, 6);
    expect(prov.index).toBeCloseTo(0.6 * 58.333325 + 0.4 * 83.33335 - 1.5, 6);
    expect(prov.corrections).toEqual([{ points: 1.5, reason: 'Kasus gratifikasi' }]);
    const csv = (await cli('results', '--survey', 'SPI-TEST', '--format', 'csv')).stdout.split('\r\n');
    expect(csv[0]).toBe('code,name,status,index,index_raw,category,internal_responses,internal_component,external_responses,external_component');
    expect(csv[1]).toMatch(/^PROV-A,Provinsi A,ok,[\d.]+,[\d.]+,rentan,2,58\.33\d+,2,83\.33\d+$/);
    expect((await cli('results', '--survey', 'SPI-TEST', '--format', 'pdf')).code).toBe(2);

    const audit = new Database(path.join(dir, 'cli.db'), { readonly: true });
    expect(audit.prepare(`SELECT action FROM audit_log WHERE actor = 'cli' ORDER BY id`).pluck().all()).toEqual([
      'survey.load', 'survey.open', 'agencies.import', 'responses.import', 'corrections.add', 'responses.clear-flags', 'results', 'results',
    ]);
    expect(JSON.parse(audit.prepare(`SELECT detail FROM audit_log WHERE action = 'corrections.add'`).pluck().get() as string)).toEqual({ survey: 'SPI-TEST', agency: 'PROV-A', reason: 'Kasus gratifikasi', points: '1,5' });
    audit.close();
  });

  it('withdraws a respondent named by email or phone and puts them back; the audit names them by id, not by contact', async () => {
    await cli('survey', 'load', file('survey.json', JSON.stringify(testSurvey())));
    await cli('survey', 'open', 'SPI-TEST');
    await cli('agencies', 'import', file('agencies.csv', AGENCIES_CSV));
    await cli('respondents', 'import', '--survey', 'SPI-TEST', file('respondents.csv', RESPONDENTS_CSV));
    await cli('invitations', 'send', '--survey', 'SPI-TEST', '--agency', 'PROV-A');
    const database = () => new Database(path.join(dir, 'cli.db'), { readonly: true });
    const budiId = (() => {
      const db = database();
      const id = db.prepare(`SELECT id FROM respondents WHERE name = 'Budi'`).pluck().get() as number;
      db.close();
      return id;
    })();
    expect(await cli('respondents', 'withdraw', '--survey', 'SPI-TEST', '--agency', 'PROV-A', '--phone', '0812-3456-7001', '--reason', 'Pensiun')).toEqual({
      code: 0,
      stdout: `Respondent ${budiId} of PROV-A withdrawn from the sample; 1 waiting message(s) cancelled.\n`,
      stderr: '',
    });
    const links = (await cli('links', 'export', '--survey', 'SPI-TEST', '--agency', 'PROV-A')).stdout;
    expect(links).not.toContain('Budi');
    expect((await cli('respondents', 'withdraw', '--survey', 'SPI-TEST', '--agency', 'PROV-A', '--email', 'BUDI@example.id', '--reason', 'Pensiun'))).toMatchObject({ code: 1, stderr: 'Rejected: This respondent is already withdrawn.\n' });
    expect((await cli('respondents', 'withdraw', '--survey', 'SPI-TEST', '--agency', 'PROV-A', '--email', 'nobody@example.id', '--reason', 'x')).stderr).toContain('No respondent of PROV-A in survey SPI-TEST has that email.');
    expect((await cli('respondents', 'withdraw', '--survey', 'SPI-TEST', '--agency', 'PROV-A', '--email', 'cici@example.id', '--phone', '0812', '--reason', 'x')).code).toBe(1);
    expect((await cli('respondents', 'withdraw', '--survey', 'SPI-TEST', '--agency', 'PROV-A', '--email', 'cici@example.id')).code).toBe(2); // no --reason
    expect(await cli('respondents', 'reinstate', '--survey', 'SPI-TEST', '--agency', 'PROV-A', '--email', 'budi@example.id')).toMatchObject({ code: 0, stdout: `Respondent ${budiId} of PROV-A is back in the sample; 1 message(s) queued again.\n` });
    const db = database();
    expect(db.prepare(`SELECT withdrawn_at FROM invitations WHERE respondent_id = ?`).pluck().get(budiId)).toBeNull();
    const audited = db.prepare(`SELECT action, detail FROM audit_log WHERE action LIKE 'respondents.w%' OR action LIKE 'respondents.r%' ORDER BY id`).all() as { action: string; detail: string }[];
    expect(audited.map((entry) => [entry.action, JSON.parse(entry.detail) as unknown])).toEqual([
      ['respondents.withdraw', { survey: 'SPI-TEST', agency: 'PROV-A', reason: 'Pensiun', respondent: budiId }],
      ['respondents.reinstate', { survey: 'SPI-TEST', agency: 'PROV-A', respondent: budiId }],
    ]);
    db.close();
  });

  it('staff add reads the password from standard input', async () => {
    await cli('agencies', 'import', file('agencies.csv', AGENCIES_CSV));
    expect((await cli('staff', 'add', '--email', 'kota@example.id', '--role', 'liaison', '--agency', 'KOTA-B')).code).toBe(2);
    let stdout = '';
    const code = await runCli(['staff', 'add', '--email', 'Kota@Example.id', '--role', 'liaison', '--agency', 'KOTA-B', '--password-stdin'], { stdout: (text) => (stdout += text), stderr: () => {}, readStdin: async () => 'a-long-enough-password\n' }, environment, clock);
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'Account kota@example.id (liaison, KOTA-B) created.\n' });
    const weak = await runCli(['staff', 'add', '--email', 'x@example.id', '--role', 'inspector', '--password-stdin'], { stdout: () => {}, stderr: () => {}, readStdin: async () => 'short' }, environment, clock);
    expect(weak).toBe(1);
  });

  it('backup writes a consistent copy that opens and holds the data', async () => {
    await cli('survey', 'load', file('survey.json', JSON.stringify(testSurvey())));
    const target = path.join(dir, 'backup.db');
    expect((await cli('backup', target)).code).toBe(0);
    const copy = new Database(target, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(copy.prepare('SELECT code FROM surveys').pluck().all()).toEqual(['SPI-TEST']);
    copy.close();
  });

  it('wrong usage exits 2 with the usage text', async () => {
    expect(await cli()).toMatchObject({ code: 2, stderr: expect.stringContaining('Usage:') });
    expect(await cli('frobnicate')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "frobnicate"') });
    expect(await cli('respondents', 'import', 'x.csv')).toMatchObject({ code: 2, stderr: expect.stringContaining('--survey is required') });
    expect(await cli('survey', 'load')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected exactly one FILE.json') });
    expect(await cli('--bogus')).toMatchObject({ code: 2 });
  });

  it('a bad configuration value stops with a message naming the variable', async () => {
    environment.PORT = 'eighty';
    const result = await cli('survey', 'open', 'X');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PORT');
  });
});
