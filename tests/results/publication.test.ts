import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importResponses } from '../../server/answering/paperEntry.js';
import { addCorrection } from '../../server/results/service.js';
import { publicRanking } from '../../server/results/ranking.js';
import { importRespondents } from '../../server/respondents/service.js';
import { changeSurveyStatus, loadSurveyDefinition } from '../../server/surveys/service.js';
import { testSurvey } from '../fixtures/survey.js';
import { addStaffOfEveryRole, createWorld, RESPONDENTS_CSV, signInAs, TEST_SECRET, type World } from '../helpers.js';

let world: World;
beforeEach(async () => {
  world = await createWorld();
  await addStaffOfEveryRole(world);
});
afterEach(() => world.cleanup());

// PROV-A gets an index (two internal and two external responses), KOTA-B does not
async function answer(): Promise<void> {
  for (const name of ['Ani', 'Budi']) {
    const token = world.tokens.get(name)!;
    await request(world.app).get(`/api/v1/respond/${token}`).expect(200);
    world.clock.advance(5 * 60 * 1000);
    await request(world.app).post(`/api/v1/respond/${token}/submit`).send({ answers: { I_TR_1: name === 'Ani' ? '4' : '3', I_TR_2: '3', I_GATE: 'no', I_YEARS: 5 } }).expect(201);
  }
  await importResponses(world.db, world.clock, 'Asia/Jakarta', 'SPI-TEST', Buffer.from('agency_code,group,entry_id,duration_seconds,E_TR_1\nPROV-A,external,E1,300,4\nPROV-A,external,E2,300,3\n'));
}

describe('the public ranking', () => {
  it('ranks by index with ties sharing a rank, then lists those without an index by name, with the change since an earlier round', () => {
    const agencies = [
      { code: 'C', name: 'Kota C', index: 70 },
      { code: 'A', name: 'Kota A', index: 80 },
      { code: 'N', name: 'Kota N', index: null },
      { code: 'B', name: 'Kota B', index: 70 },
      { code: 'D', name: 'Kota D', index: 60 },
      { code: 'M', name: 'Kota M', index: null },
    ].map((agency) => ({ ...agency, category: agency.index === null ? null : 'waspada' })) as never;
    const rows = publicRanking({ agencies }, new Map([['A', 'city']]), new Map([['A', 75], ['B', null], ['D', 61.5]]));
    expect(rows.map((row) => [row.rank, row.code, row.change])).toEqual([
      [1, 'A', 5],
      [2, 'B', null],
      [2, 'C', null],
      [4, 'D', -1.5],
      [null, 'M', null],
      [null, 'N', null],
    ]);
    expect(rows[0]!.kind).toBe('city');
  });
});

describe('publishing results', () => {
  it('only administrators publish, only a closed round, after a confirmation page that says what becomes public', async () => {
    await answer();
    const admin = await signInAs(world, 'admin@example.id');
    expect((await admin.agent.get('/staff/results/SPI-TEST/publish').expect(200)).text).toContain('Hasil diterbitkan setelah survei ditutup');
    const refused = await admin.agent.post('/staff/results/SPI-TEST/publish').type('form').send({ _csrf: admin.csrf }).expect(409);
    expect(refused.text).toContain('results are published once it is closed');
    changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'closed');
    const confirmation = (await admin.agent.get('/staff/results/SPI-TEST/publish').expect(200)).text;
    expect(confirmation).toContain('1 instansi dengan indeks, dan 1 instansi yang responsnya belum cukup');
    expect(confirmation).toContain('Yang tetap tertutup: angka per unit, kelompok dan dimensi, koreksi beserta alasannya');
    const inspector = await signInAs(world, 'inspektur@example.id');
    await inspector.agent.get('/staff/results/SPI-TEST/publish').expect(403);
    await inspector.agent.post('/staff/results/SPI-TEST/publish').type('form').send({ _csrf: inspector.csrf }).expect(403);
    await request(world.app).get('/hasil/SPI-TEST').expect(404);
    expect((await request(world.app).get('/hasil').expect(200)).text).toContain('Belum ada hasil yang diterbitkan.');

    expect((await admin.agent.get('/staff').expect(200)).text).not.toContain('href="/hasil/SPI-TEST"');
    await admin.agent.post('/staff/results/SPI-TEST/publish').type('form').send({ _csrf: admin.csrf }).expect(303).expect('Location', '/staff/results/SPI-TEST/publish');
    // the staff home and the public home lead to it
    expect((await admin.agent.get('/staff').expect(200)).text).toContain('href="/hasil/SPI-TEST"');
    expect((await request(world.app).get('/').expect(200)).text).toContain('href="/hasil"');
    expect((await admin.agent.get('/staff/results/SPI-TEST/publish').expect(200)).text).toContain('Hasil diterbitkan pada');
    expect(world.db.prepare(`SELECT action FROM audit_log WHERE action LIKE 'results.%publish%'`).pluck().all()).toEqual(['results.published']);
  });

  it('the public sees the ranking as published, without signing in and without any person or unit; a later correction shows once published again', async () => {
    await answer();
    addCorrection(world.db, world.clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A', points: 2, reason: 'Temuan audit rahasia' });
    changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'closed');
    const admin = await signInAs(world, 'admin@example.id');
    await admin.agent.post('/staff/results/SPI-TEST/publish').type('form').send({ _csrf: admin.csrf }).expect(303);

    const index = (await request(world.app).get('/hasil').expect(200)).text;
    expect(index).toContain('href="/hasil/SPI-TEST"');
    const page = (await request(world.app).get('/hasil/SPI-TEST').expect(200)).text;
    const provRow = /<tr>\s*<td class="num">1<\/td>\s*<td>Provinsi A <span class="muted small">PROV-A<\/span><\/td>[\s\S]*?<\/tr>/.exec(page)?.[0];
    expect(provRow).toBeDefined();
    const publishedIndex = /<td class="num">(\d+,\d\d)<\/td>/.exec(provRow!)![1];
    expect(page).toMatch(/<td>Kota B <span class="muted small">KOTA-B<\/span><\/td>\s*<td>Kota<\/td>\s*<td class="num">Respons belum cukup<\/td>/);
    expect(page).toContain('Pegawai: bobot 60,00%, sedikitnya 2 respons');
    // nothing about a person, a unit or a correction's reason
    for (const secret of ['ani@example.id', 'Ani', 'Dinas Satu', 'Temuan audit rahasia', 'E_TR_1']) expect(page).not.toContain(secret);

    // a correction after publication changes the staff figures, not the public ones, until published again
    addCorrection(world.db, world.clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A', points: 10, reason: 'Kasus suap' });
    expect((await request(world.app).get('/hasil/SPI-TEST').expect(200)).text).toContain(`<td class="num">${publishedIndex}</td>`);
    await admin.agent.post('/staff/results/SPI-TEST/publish').type('form').send({ _csrf: admin.csrf }).expect(303);
    const republished = (await request(world.app).get('/hasil/SPI-TEST').expect(200)).text;
    expect(republished).not.toContain(`<td class="num">${publishedIndex}</td>`);

    const csv = await request(world.app).get('/hasil/SPI-TEST/peringkat.csv').expect(200).expect('Content-Type', /text\/csv/);
    const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('rank,agency_code,agency_name,kind,index,category,change');
    expect(lines[1]).toMatch(/^1,PROV-A,Provinsi A,province,\d+\.\d+,Rentan,$/);
    expect(lines[2]).toBe(',KOTA-B,Kota B,city,,,');
    expect((await request(world.app).get('/hasil/SPI-TEST?lang=en').expect(200)).text).toContain('Not enough responses');

    // withdrawn: gone, as if it never was; a round opened again is not public either
    await admin.agent.post('/staff/results/SPI-TEST/unpublish').type('form').send({ _csrf: admin.csrf }).expect(303);
    await request(world.app).get('/hasil/SPI-TEST').expect(404);
    await request(world.app).get('/hasil/SPI-TEST/peringkat.csv').expect(404);
    // published anew at the same moment (the clock stands still here): the current figures, not a cached copy
    addCorrection(world.db, world.clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A', points: 50, reason: 'Kasus lain' });
    await admin.agent.post('/staff/results/SPI-TEST/publish').type('form').send({ _csrf: admin.csrf }).expect(303);
    const third = (await request(world.app).get('/hasil/SPI-TEST').expect(200)).text;
    expect(/PROV-A<\/span><\/td>\s*<td>province<\/td>\s*<td class="num">(\d+,\d\d)<\/td>/.exec(third)?.[1]).toBe(/PROV-A<\/span><\/td>\s*<td>province<\/td>\s*<td class="num">(\d+,\d\d)<\/td>/.exec(republished)?.[1]?.replace(/^(\d+)/, (whole) => String(Number(whole) - 50)));
    changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'open');
    await request(world.app).get('/hasil/SPI-TEST').expect(404);
    expect(world.db.prepare(`SELECT action FROM audit_log WHERE action LIKE 'results.%publish%' ORDER BY id`).pluck().all()).toEqual(['results.published', 'results.published', 'results.unpublished', 'results.published']);
  });

  it("shows each agency's change since the previous published round", async () => {
    const lastYear = loadSurveyDefinition(world.db, world.clock, testSurvey({ code: 'SPI-2025', title: { id: 'Survei 2025', en: 'Survey 2025' }, opens: '2025-07-01', closes: '2025-12-31' })).survey;
    await importRespondents(world.db, world.clock, TEST_SECRET, lastYear.code, Buffer.from(RESPONDENTS_CSV));
    changeSurveyStatus(world.db, world.clock, lastYear.code, 'open');
    await importResponses(
      world.db,
      world.clock,
      'Asia/Jakarta',
      lastYear.code,
      Buffer.from('agency_code,group,entry_id,duration_seconds,I_TR_1,I_TR_2,I_GATE,I_YEARS,E_TR_1\nPROV-A,internal,L1,300,2,3,no,5,\nPROV-A,internal,L2,300,3,2,no,5,\nPROV-A,external,L3,300,,,,,2\nPROV-A,external,L4,300,,,,,3\n'),
    );
    changeSurveyStatus(world.db, world.clock, lastYear.code, 'closed');
    await answer();
    changeSurveyStatus(world.db, world.clock, 'SPI-TEST', 'closed');
    const admin = await signInAs(world, 'admin@example.id');
    await admin.agent.post('/staff/results/SPI-TEST/publish').type('form').send({ _csrf: admin.csrf }).expect(303);
    // last year's round is not published: no change column
    expect((await request(world.app).get('/hasil/SPI-TEST').expect(200)).text).not.toContain('Perubahan sejak');
    await admin.agent.post('/staff/results/SPI-2025/publish').type('form').send({ _csrf: admin.csrf }).expect(303);
    const page = (await request(world.app).get('/hasil/SPI-TEST').expect(200)).text;
    expect(page).toContain('Perubahan sejak Survei 2025');
    expect(page).toMatch(/PROV-A<\/span><\/td>[\s\S]*?<td class="num">\+\d+,\d\d<\/td>\s*<\/tr>/);
    // and the older round has nothing before it
    expect((await request(world.app).get('/hasil/SPI-2025').expect(200)).text).not.toContain('Perubahan sejak');
  });
});
