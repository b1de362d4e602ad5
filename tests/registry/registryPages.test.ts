import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importAgencies } from '../../server/agencies/service.js';
import { addStaffOfEveryRole, createWorld, signInAs, type World } from '../helpers.js';

let world: World;
beforeEach(async () => {
  world = await createWorld();
  await addStaffOfEveryRole(world);
});
afterEach(() => world.cleanup());

const rowsOf = (html: string) => [...html.matchAll(/<tr><td>([^<]+)<\/td><td>/g)].map((match) => match[1]);

describe('the agencies registry', () => {
  it('lists every agency with its zone, 100 a page, filtered by zone or searched; liaisons do not see it', async () => {
    const extra = Array.from({ length: 150 }, (_, index) => `KAB-${String(index).padStart(3, '0')},Kabupaten ${index},regency,PROV-A,,${index < 40 ? 'WIT' : ''}`);
    await importAgencies(world.db, world.clock, Buffer.from(['code,name,kind,parent_code,units,time_zone', ...extra].join('\n')));
    const { agent } = await signInAs(world, 'inspektur@example.id');
    const first = (await agent.get('/staff/agencies').expect(200)).text;
    expect(first).toContain('152 instansi. Tanpa zona (Asia/Jakarta): 112 · WIT (Asia/Jayapura): 40.');
    expect(rowsOf(first)).toHaveLength(100);
    expect(rowsOf(first)[0]).toBe('KAB-000');
    expect(first).toContain('href="/staff/agencies?page=2"');
    expect(rowsOf((await agent.get('/staff/agencies?page=2').expect(200)).text)).toEqual([...Array.from({ length: 50 }, (_, index) => `KAB-${100 + index}`), 'KOTA-B', 'PROV-A']);
    const papua = (await agent.get('/staff/agencies?zone=Asia%2FJayapura').expect(200)).text;
    expect(rowsOf(papua)).toHaveLength(40);
    expect(rowsOf((await agent.get('/staff/agencies?zone=default&q=kota').expect(200)).text)).toEqual(['KOTA-B']);
    expect((await agent.get('/staff/agencies?q=%25').expect(200)).text).toContain('Tidak ada instansi yang cocok dengan saringan ini.');
    // an inspector reads; only administrators import
    expect(first).not.toContain('action="/staff/agencies"');
    const liaison = await signInAs(world, 'kota@example.id');
    await liaison.agent.get('/staff/agencies').expect(403);
    await liaison.agent.get('/staff/agencies.csv').expect(403);
  });

  it('downloads as an agencies file and imports back on the same page, the zones filled in', async () => {
    const { agent, csrf } = await signInAs(world, 'admin@example.id');
    const page = (await agent.get('/staff/agencies').expect(200)).text;
    expect(page).toContain('action="/staff/agencies"');
    const download = await agent.get('/staff/agencies.csv').expect(200).expect('Content-Type', /text\/csv/);
    expect(download.text.replace(/^\uFEFF/, '').trim().split('\r\n')).toEqual([
      'code,name,kind,parent_code,units,time_zone',
      'KOTA-B,Kota B,city,PROV-A,Dinas Tiga,',
      'PROV-A,Provinsi A,province,,Dinas Dua|Dinas Satu,',
    ]);
    const filled = download.text.replace('Dinas Tiga,', 'Dinas Tiga,WIT');
    const report = await agent.post('/staff/agencies').field('_csrf', csrf).attach('file', Buffer.from(filled), 'agencies.csv').expect(200);
    expect(report.text).toContain('href="/staff/agencies"');
    expect(world.db.prepare(`SELECT code, time_zone AS zone FROM agencies ORDER BY code`).all()).toEqual([
      { code: 'KOTA-B', zone: 'Asia/Jayapura' },
      { code: 'PROV-A', zone: null },
    ]);
    // a bad zone is reported by line and column, and nothing else changes
    const refused = await agent.post('/staff/agencies').field('_csrf', csrf).attach('file', Buffer.from(filled.replace(',WIT', ',Mars')), 'agencies.csv').expect(200);
    expect(refused.text).toContain('&#34;Mars&#34; is not a time zone');
    expect(world.db.prepare(`SELECT time_zone FROM agencies WHERE code = 'KOTA-B'`).pluck().get()).toBe('Asia/Jayapura');
    await agent.post('/staff/agencies').field('_csrf', 'forged').attach('file', Buffer.from(filled), 'agencies.csv').expect(403);
    expect(world.db.prepare(`SELECT action FROM audit_log WHERE action LIKE 'agencies.%' ORDER BY id`).pluck().all()).toEqual(['agencies.export', 'agencies.import', 'agencies.import']);
  });
});
