import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addStaff } from '../../server/staff/service.js';
import { insertStaff } from '../../server/staff/store.js';
import { createWorld, postLogin, type World, signInStaff } from '../helpers.js';

let world: World;
beforeEach(async () => {
  world = await createWorld();
  await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
  await addStaff(world.db, world.clock, { email: 'inspektur@example.id', role: 'inspector', password: 'inspector-password-1' });
});
afterEach(() => world.cleanup());


describe('staff accounts in the browser', () => {
  it('an administrator creates accounts (errors named by field), disables one (its sessions end) and cannot disable themselves', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const refused = await agent.post('/staff/users').type('form').send({ _csrf: csrf, email: 'kota@example.id', role: 'liaison', agency: '', password: 'short' }).expect(422);
    expect(refused.text).toContain('password: must be at least 10 characters');
    expect(refused.text).toContain('agency: a liaison needs --agency');
    expect(refused.text).toContain('value="kota@example.id"'); // what was typed is kept
    await agent.post('/staff/users').type('form').send({ _csrf: csrf, email: 'kota@example.id', role: 'liaison', agency: 'KOTA-B', password: 'liaison-password-1' }).expect(200);
    const inspectorSession = await signInStaff(world.app, 'inspektur@example.id', 'inspector-password-1');
    const inspectorId = world.db.prepare(`SELECT id FROM staff_users WHERE email = 'inspektur@example.id'`).pluck().get();
    const page = await agent.post(`/staff/users/${inspectorId}/disable`).type('form').send({ _csrf: csrf }).expect(200);
    expect(page.text).toContain('data-confirm=');
    await inspectorSession.agent.get('/staff').expect(303);
    expect((await postLogin(world.app, { email: 'inspektur@example.id', password: 'inspector-password-1' })).status).toBe(401);
    const adminId = world.db.prepare(`SELECT id FROM staff_users WHERE email = 'admin@example.id'`).pluck().get();
    await agent.post(`/staff/users/${adminId}/disable`).type('form').send({ _csrf: csrf }).expect(422);
    expect(world.db.prepare(`SELECT action FROM audit_log WHERE action IN ('staff.add', 'staff.disable') ORDER BY id`).pluck().all()).toEqual(['staff.add', 'staff.add', 'staff.add', 'staff.disable']);
  });

  it('a national number of accounts is listed 50 at a time and searched by email or agency code; a change keeps the page shown', async () => {
    // a liaison per agency of a national round (stored directly: hashing 120 passwords proves nothing here)
    const emails = Array.from({ length: 120 }, (_, index) => `liaison-${String(index).padStart(3, '0')}@example.id`);
    for (const email of emails) insertStaff(world.db, { email, role: 'inspector', agencyId: null, passwordHash: 'x', language: 'id' }, world.clock.now().toISOString());
    const { agent, csrf } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const listed = (text: string) => [...text.matchAll(/<tr><td>([^<]+@example\.id)<\/td>/g)].map((match) => match[1]);
    const first = await agent.get('/staff/users').expect(200);
    expect(listed(first.text)).toEqual(['admin@example.id', 'inspektur@example.id', ...emails.slice(0, 48)]);
    expect(first.text).toContain('1–50 dari 122 · halaman 1 dari 3');
    const searched = await agent.get('/staff/users?q=LIAISON-01').expect(200);
    expect(listed(searched.text)).toEqual(emails.slice(10, 20));
    expect(searched.text).not.toContain('class="pager"');
    const kotaB = world.db.prepare(`SELECT id FROM agencies WHERE code = 'KOTA-B'`).pluck().get() as number;
    insertStaff(world.db, { email: 'penghubung@kotab.go.id', role: 'liaison', agencyId: kotaB, passwordHash: 'x', language: 'id' }, world.clock.now().toISOString());
    expect((await agent.get('/staff/users?q=kota-b').expect(200)).text).toMatch(/<tr><td>penghubung@kotab\.go\.id<\/td><td>[^<]+<\/td><td>KOTA-B<\/td>/);
    // LIKE's wildcards are taken literally
    for (const wildcard of ['%', '_']) expect((await agent.get(`/staff/users?q=${encodeURIComponent(wildcard)}`).expect(200)).text).toContain('Tidak ada akun yang cocok.');
    const second = await agent.get('/staff/users?q=liaison&page=2').expect(200);
    expect(listed(second.text)).toEqual(emails.slice(50, 100));
    const targetId = world.db.prepare(`SELECT id FROM staff_users WHERE email = ?`).pluck().get(emails[60]);
    expect(second.text).toContain(`action="/staff/users/${targetId}/disable?q=liaison&amp;page=2"`);
    const changed = await agent.post(`/staff/users/${targetId}/disable?q=liaison&page=2`).type('form').send({ _csrf: csrf }).expect(200);
    expect(listed(changed.text)).toEqual(emails.slice(50, 100));
    expect(changed.text).toContain('51–100 dari 120 · halaman 2 dari 3'); // the liaison's email does not say "liaison"
    expect(world.db.prepare(`SELECT disabled_at IS NOT NULL FROM staff_users WHERE id = ?`).pluck().get(targetId)).toBe(1);
  });

  it('the audit log is for administrators, filterable, and never holds passwords or tokens', async () => {
    const inspector = await signInStaff(world.app, 'inspektur@example.id', 'inspector-password-1');
    await inspector.agent.get('/staff/audit').expect(403);
    await inspector.agent.get('/staff/users').expect(403);
    const { agent } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const page = await agent.get('/staff/audit?action=staff.sign_in').expect(200);
    expect([...page.text.matchAll(/data-audit="([^"]+)"/g)].map((match) => match[1])).toEqual(['staff.sign_in', 'staff.sign_in']);
    const everything = world.db.prepare('SELECT detail FROM audit_log').pluck().all().join('\n');
    expect(everything).not.toMatch(/password-1/);
    for (const token of world.tokens.values()) expect(everything).not.toContain(token);
  });
});

describe('staff language and cookies', () => {
  it('the language switch is shown on staff pages and remembered on the account', async () => {
    const { agent } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const home = await agent.get('/staff').expect(200);
    expect(home.text).toMatch(/<a href="\/staff\?lang=en" lang="en" hreflang="en">English<\/a>/);
    expect((await agent.get('/staff?lang=en').expect(200)).text).toContain('Staff home');
    expect((await agent.get('/staff').expect(200)).text).toContain('Staff home');
  });

  it('session cookies are Secure when PUBLIC_URL is https', async () => {
    const secureWorld = await createWorld({ env: { PUBLIC_URL: 'https://spi.example.id' } });
    try {
      await addStaff(secureWorld.db, secureWorld.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
      const response = await postLogin(secureWorld.app, { email: 'admin@example.id', password: 'admin-password-1' });
      expect(response.status).toBe(303);
      expect(String(response.headers['set-cookie'])).toMatch(/; Secure/);
      expect(response.headers['strict-transport-security']).toBeDefined();
    } finally {
      secureWorld.cleanup();
    }
  });
});
