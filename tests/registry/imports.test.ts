import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importAgencies } from '../../server/agencies/service.js';
import { ManualClock } from '../../server/platform/clock.js';
import type { Db } from '../../server/platform/db.js';
import { formatProblem, formatReport } from '../../server/platform/tabular.js';
import { importRespondents } from '../../server/respondents/service.js';
import { insertRespondent } from '../../server/respondents/store.js';
import { changeSurveyStatus, loadSurveyDefinition } from '../../server/surveys/service.js';
import { hashInvitationToken, deriveInvitationToken } from '../../server/invitations/tokens.js';
import { testSurvey } from '../fixtures/survey.js';
import { AGENCIES_CSV, TEST_SECRET, tempDatabase } from '../helpers.js';

let db: Db;
let cleanup: () => void;
const clock = new ManualClock('2026-08-01T00:00:00Z');

beforeEach(() => {
  ({ db, cleanup } = tempDatabase());
  loadSurveyDefinition(db, clock, testSurvey());
});
afterEach(() => cleanup());

const count = (sql: string) => db.prepare(sql).pluck().get() as number;

describe('agencies import', () => {
  it('stores agencies with units and parents (a parent may come later in the file)', async () => {
    const report = await importAgencies(db, clock, Buffer.from('code,name,kind,parent_code,units\nKOTA-B,Kota B,city,PROV-A,Dinas Tiga\nPROV-A,Provinsi A,Province,,Dinas Satu| Dinas Dua |dinas satu\n'));
    expect(report).toMatchObject({ rows: 2, stored: 2, updated: 0, duplicates: 0, rejected: 0, errors: [] });
    expect(db.prepare('SELECT c.code, p.code AS parent FROM agencies c LEFT JOIN agencies p ON p.id = c.parent_id ORDER BY c.code').all()).toEqual([
      { code: 'KOTA-B', parent: 'PROV-A' },
      { code: 'PROV-A', parent: null },
    ]);
    expect(db.prepare(`SELECT u.name FROM agency_units u JOIN agencies a ON a.id = u.agency_id WHERE a.code = 'PROV-A' ORDER BY u.name`).pluck().all()).toEqual(['Dinas Dua', 'Dinas Satu']);
  });

  it('reports every bad row with its spreadsheet line and column, and stores the good ones', async () => {
    const csv = [
      'code;name;kind;parent_code;units',
      'OK-1;Baik;city;;',
      'bad code;Nama;city;;',
      'OK-2;;village;;',
      'OK-3;Tiga;city;NOWHERE;',
      'OK-1;Lagi;city;;',
      'OK-4;Empat;regency;OK-1;',
    ].join('\n');
    const report = await importAgencies(db, clock, Buffer.from(csv));
    expect(report.errors.map(formatProblem)).toEqual([
      'line 3, column code: "bad code" must be 1–40 letters, digits, "_", "." or "-"',
      'line 4, column name: is required',
      'line 4, column kind: "village" is not one of ministry, agency, province, regency, city, other',
      'line 5, column parent_code: no agency with code "NOWHERE" in this file or already registered',
      'line 6, column code: "OK-1" already appears on line 2',
    ]);
    expect(report).toMatchObject({ rows: 6, stored: 2, rejected: 4 });
    expect(db.prepare('SELECT code FROM agencies ORDER BY code').pluck().all()).toEqual(['OK-1', 'OK-4']);
  });

  it('is idempotent: the same file twice changes nothing and reports duplicates', async () => {
    await importAgencies(db, clock, Buffer.from(AGENCIES_CSV));
    const before = db.prepare('SELECT * FROM agencies ORDER BY id').all();
    const second = await importAgencies(db, clock, Buffer.from(AGENCIES_CSV));
    expect(second).toMatchObject({ rows: 2, stored: 0, updated: 0, duplicates: 2, rejected: 0 });
    expect(db.prepare('SELECT * FROM agencies ORDER BY id').all()).toEqual(before);
    expect(count('SELECT COUNT(*) FROM agency_units')).toBe(3);
  });

  it('updates a changed name and adds new units without removing old ones', async () => {
    await importAgencies(db, clock, Buffer.from(AGENCIES_CSV));
    const report = await importAgencies(db, clock, Buffer.from('code,name,kind,units\nPROV-A,Provinsi A Baru,province,Dinas Empat\n'));
    expect(report).toMatchObject({ stored: 0, updated: 1, duplicates: 0 });
    expect(count(`SELECT COUNT(*) FROM agency_units u JOIN agencies a ON a.id = u.agency_id WHERE a.code = 'PROV-A'`)).toBe(3);
  });

  it("stores each agency's time zone by its Indonesian name or IANA name, and keeps it when a file has no such column", async () => {
    const zones = () => db.prepare('SELECT code, time_zone AS timeZone FROM agencies ORDER BY code').all();
    const report = await importAgencies(
      db,
      clock,
      Buffer.from('code,name,kind,time_zone\nA,A,city,WIT\nB,B,city,wita\nC,C,city,asia/jakarta\nD,D,city,\nE,E,city,Mars/Olympus\nF,F,city,+09:00\n'),
    );
    expect(report).toMatchObject({ stored: 4, rejected: 2 });
    expect(report.errors.map(formatProblem)).toEqual([
      'line 6, column time_zone: "Mars/Olympus" is not a time zone: use WIB, WITA or WIT, or an IANA name such as Asia/Jayapura',
      'line 7, column time_zone: "+09:00" is not a time zone: use WIB, WITA or WIT, or an IANA name such as Asia/Jayapura',
    ]);
    expect(zones()).toEqual([
      { code: 'A', timeZone: 'Asia/Jayapura' },
      { code: 'B', timeZone: 'Asia/Makassar' },
      { code: 'C', timeZone: 'Asia/Jakarta' },
      { code: 'D', timeZone: null },
    ]);
    // the spec's columns alone change nothing about the zones; an empty cell returns to the default
    expect(await importAgencies(db, clock, Buffer.from('code,name,kind\nA,A,city\nB,B,city\n'))).toMatchObject({ updated: 0, duplicates: 2 });
    expect(await importAgencies(db, clock, Buffer.from('code,name,kind,time_zone\nA,A,city,\nB,B,city,WITA\n'))).toMatchObject({ updated: 1, duplicates: 1 });
    expect(zones().slice(0, 2)).toEqual([{ code: 'A', timeZone: null }, { code: 'B', timeZone: 'Asia/Makassar' }]);
  });

  it('refuses a file that lacks a required column, storing nothing', async () => {
    await expect(importAgencies(db, clock, Buffer.from('code,title\nX,Y\n'))).rejects.toThrow(/lacks the required column\(s\): name, kind/);
    expect(count('SELECT COUNT(*) FROM agencies')).toBe(0);
  });
});

describe('respondents import', () => {
  beforeEach(async () => {
    await importAgencies(db, clock, Buffer.from(AGENCIES_CSV));
  });

  it('stores valid rows with one invitation each, normalising phones, and reports bad rows by line', async () => {
    const csv = [
      'Agency_Code;GROUP;Name;Email;Phone;Unit;Language',
      'PROV-A;internal;Ani;Ani@Example.id;;dinas satu;',
      'PROV-A;external;Budi;;0812-3456-7001;;en',
      'PROV-A;expert;Cici;c@example.id;;;',
      'NOPE;internal;Dodi;d@example.id;;;',
      'PROV-A;internal;Eka;not-an-email;021-5551234;;',
      'PROV-A;internal;Fajar;;;;',
      'KOTA-B;internal;Gita;g@example.id;;Dinas Satu;fr',
    ].join('\n');
    const report = await importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from(csv));
    expect(report.errors.map(formatProblem)).toEqual([
      'line 4, column group: "expert" is not a group of this survey (internal, external)',
      'line 5, column agency_code: no agency with code "NOPE" is registered',
      'line 6, column email: "not-an-email" is not a valid email address',
      'line 6, column phone: "021-5551234" is not a mobile number',
      'line 7, column email: an email or a phone number is required',
      'line 8, column unit: "Dinas Satu" is not a unit of agency KOTA-B',
      'line 8, column language: "fr" is not one of id, en',
    ]);
    expect(report).toMatchObject({ rows: 7, stored: 2, duplicates: 0, rejected: 5 });
    expect(db.prepare('SELECT name, email, phone, language FROM respondents ORDER BY id').all()).toEqual([
      { name: 'Ani', email: 'ani@example.id', phone: null, language: 'id' },
      { name: 'Budi', email: null, phone: '+6281234567001', language: 'en' },
    ]);
    expect(count('SELECT COUNT(*) FROM invitations')).toBe(2);
  });

  it('stores an email whose domain looks mistyped as written, and says which one it probably was', async () => {
    const csv = ['agency_code,group,name,email', 'PROV-A,internal,Ani,ani@gmial.com', 'PROV-A,internal,Budi,budi@gmail.com', 'PROV-A,external,Cici,Cici@Yahoo.co.di', 'NOPE,internal,Dodi,dodi@gmial.com'].join('\n');
    const report = await importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from(csv));
    expect(report).toMatchObject({ rows: 4, stored: 3, rejected: 1 });
    // a refused row gets its error, not a notice as well
    expect(report.notices.map(formatProblem)).toEqual([
      'line 2, column email: ani@gmial.com: did you mean ani@gmail.com? Stored as written',
      'line 4, column email: cici@yahoo.co.di: did you mean cici@yahoo.co.id? Stored as written',
    ]);
    expect(formatReport(report)).toContain('  check: line 2, column email: ani@gmial.com: did you mean ani@gmail.com? Stored as written');
    expect(db.prepare('SELECT email FROM respondents ORDER BY id').pluck().all()).toEqual(['ani@gmial.com', 'budi@gmail.com', 'cici@yahoo.co.di']);
  });

  it('treats the same email or phone twice in one agency as a duplicate, in the file and across imports', async () => {
    const csv = [
      'agency_code,group,name,email,phone',
      'PROV-A,internal,Ani,ani@example.id,',
      'PROV-A,external,Ani lagi,ANI@example.id,',
      'PROV-A,external,Budi,,081234567001',
      'PROV-A,external,Budi lagi,budi@example.id,+62 812-3456-7001',
      'KOTA-B,internal,Ani di kota,ani@example.id,',
    ].join('\n');
    const first = await importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from(csv));
    expect(first).toMatchObject({ rows: 5, stored: 3, duplicates: 2, rejected: 0 });
    expect(first.duplicateLines.map(formatProblem)).toEqual(['line 3, column email: same email as line 2 for PROV-A', 'line 5, column phone: same phone as line 4 for PROV-A']);
    const tokensBefore = db.prepare('SELECT token_hash FROM invitations ORDER BY id').pluck().all();
    const second = await importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from(csv));
    expect(second).toMatchObject({ rows: 5, stored: 0, duplicates: 5, rejected: 0 });
    expect(second.duplicateLines[0]!.message).toBe('this email is already registered for PROV-A in this survey');
    expect(db.prepare('SELECT token_hash FROM invitations ORDER BY id').pluck().all()).toEqual(tokensBefore);
  });

  it('reads XLSX the same way, with spreadsheet row numbers', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Responden');
    sheet.addRow(['agency_code', 'group', 'name', 'email', 'phone']);
    sheet.addRow(['PROV-A', 'internal', 'Ani', 'ani@example.id', '']);
    sheet.addRow(['PROV-A', 'internal', 'Budi', '', 6281234567001]);
    sheet.addRow(['PROV-A', 'nope', 'Cici', 'c@example.id', '']);
    const report = await importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from(await workbook.xlsx.writeBuffer()));
    expect(report).toMatchObject({ rows: 3, stored: 2, rejected: 1 });
    expect(report.errors.map(formatProblem)).toEqual(['line 4, column group: "nope" is not a group of this survey (internal, external)']);
    expect(db.prepare(`SELECT phone FROM respondents WHERE name = 'Budi'`).pluck().get()).toBe('+6281234567001');
  });

  it('stores only the hash of each token, which the secret re-derives from the seed', async () => {
    await importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from('agency_code,group,email\nPROV-A,internal,ani@example.id\n'));
    const invitation = db.prepare('SELECT token_seed, token_hash FROM invitations').get() as { token_seed: string; token_hash: Buffer };
    const token = deriveInvitationToken(TEST_SECRET, invitation.token_seed);
    expect(invitation.token_hash).toEqual(hashInvitationToken(token));
    expect(JSON.stringify(db.prepare('SELECT * FROM invitations').all())).not.toContain(token);
  });

  it('checks a large file in turns of the event loop; if another import stores one of its contacts meanwhile, it stores nothing and says so', async () => {
    const csv = ['agency_code,group,name,email', ...Array.from({ length: 2500 }, (_, index) => `PROV-A,internal,R${index},r${index}@example.id`)].join('\n');
    let settled = false;
    const importing = importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from(csv)).finally(() => (settled = true));
    // queued before the import's first turn, so this runs while the import waits between two batches
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    expect(count('SELECT COUNT(*) FROM respondents')).toBe(0);
    const surveyId = db.prepare('SELECT id FROM surveys').pluck().get() as number;
    const agencyId = db.prepare(`SELECT id FROM agencies WHERE code = 'PROV-A'`).pluck().get() as number;
    insertRespondent(db, { surveyId, agencyId, groupCode: 'external', unitId: null, name: 'Elsewhere', email: 'r2400@example.id', phone: null, language: 'id' }, clock.now().toISOString());
    await expect(importing).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/Nothing from this file was stored/) });
    expect(db.prepare('SELECT name FROM respondents').pluck().all()).toEqual(['Elsewhere']);
    expect(count('SELECT COUNT(*) FROM invitations')).toBe(0);
  });

  it('gives each stored respondent their own invitation, after those already registered, in file order', async () => {
    const file = (from: number, agency: string) =>
      ['agency_code,group,name,email,language', ...Array.from({ length: 1500 }, (_, index) => `${agency},internal,R${from + index},r${from + index}@example.id,${(from + index) % 3 ? 'id' : 'en'}`)].join('\n');
    await importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from(file(0, 'PROV-A')));
    // two files checked at the same time, each staged in its own table
    const [second, third] = await Promise.all([
      importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from(file(1500, 'PROV-A'))),
      importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from(file(3000, 'KOTA-B'))),
    ]);
    expect([second.stored, third.stored]).toEqual([1500, 1500]);
    const names = db.prepare('SELECT name FROM respondents ORDER BY id').pluck().all() as string[];
    expect(names.slice(0, 1500)).toEqual(Array.from({ length: 1500 }, (_, index) => `R${index}`));
    // each file's rows keep their order, whichever file was stored first
    const order = (from: number) => names.filter((name) => Number(name.slice(1)) >= from && Number(name.slice(1)) < from + 1500);
    expect(order(1500)).toEqual(Array.from({ length: 1500 }, (_, index) => `R${1500 + index}`));
    expect(order(3000)).toEqual(Array.from({ length: 1500 }, (_, index) => `R${3000 + index}`));
    // one invitation per respondent, carrying that respondent's language
    expect(count('SELECT COUNT(*) FROM invitations')).toBe(4500);
    expect(count('SELECT COUNT(DISTINCT respondent_id) FROM invitations i JOIN respondents r ON r.id = i.respondent_id AND r.language = i.language AND r.survey_id = i.survey_id')).toBe(4500);
    expect(db.prepare(`SELECT i.language FROM invitations i JOIN respondents r ON r.id = i.respondent_id WHERE r.name IN ('R2999', 'R3000', 'R3001') ORDER BY r.name`).pluck().all()).toEqual(['id', 'en', 'id']);
  });

  it('leaves no staged rows behind, stored, refused or failed', async () => {
    const staged = () => count(`SELECT COUNT(*) FROM sqlite_temp_master WHERE type = 'table'`);
    await importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from('agency_code,group,email\nPROV-A,internal,a@example.id\n'));
    expect(staged()).toBe(0);
    // only bad rows: nothing to store
    await importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from('agency_code,group,email\nNOPE,internal,b@example.id\n'));
    expect(staged()).toBe(0);
    // the unique index refuses the whole file
    const csv = ['agency_code,group,name,email', ...Array.from({ length: 1200 }, (_, index) => `PROV-A,internal,R${index},r${index}@example.id`)].join('\n');
    const importing = importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from(csv));
    await new Promise<void>((resolve) => setImmediate(resolve));
    const surveyId = db.prepare('SELECT id FROM surveys').pluck().get() as number;
    const agencyId = db.prepare(`SELECT id FROM agencies WHERE code = 'PROV-A'`).pluck().get() as number;
    insertRespondent(db, { surveyId, agencyId, groupCode: 'external', unitId: null, name: 'Elsewhere', email: 'r1100@example.id', phone: null, language: 'id' }, clock.now().toISOString());
    await expect(importing).rejects.toMatchObject({ status: 409 });
    expect(staged()).toBe(0);
    expect(count('SELECT COUNT(*) FROM respondents')).toBe(2);
  });

  it('refuses a closed survey and a file with neither email nor phone column', async () => {
    await expect(importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from('agency_code,group,name\nPROV-A,internal,Ani\n'))).rejects.toThrow(/"email" column, a "phone" column/);
    changeSurveyStatus(db, clock, 'SPI-TEST', 'closed');
    await expect(importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from('agency_code,group,email\nPROV-A,internal,a@example.id\n'))).rejects.toThrow(/closed/);
    expect(count('SELECT COUNT(*) FROM respondents')).toBe(0);
  });
});
