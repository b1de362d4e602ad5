import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import request from 'supertest';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { createWorld, serveWorld, tempDir, type World } from '../helpers.js';

describe('the server process', () => {
  it('starts with the demo on an empty database, prints links, and stops cleanly on SIGTERM', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
        env: { ...process.env, PORT: '0', DATABASE_PATH: path.join(dir, 'demo.db'), DATA_DIR: dir, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('server did not start:\n' + output)), 20_000);
        child.stdout.on('data', () => {
          const match = /"port":(\d+),[^\n]*Integritas is listening/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
      });
      expect(output).toMatch(/Demo survey SPI-DEMO is open/);
      const demoLink = /(http:\/\/localhost:\d+\/r\/[A-Za-z0-9_-]{24})/.exec(output)![1]!;
      const page = await fetch(`http://127.0.0.1:${port}${new URL(demoLink).pathname}`);
      expect(page.status).toBe(200);
      // the earlier round's public results, at the address printed
      const publicLink = /results are public: (http:\/\/localhost:\d+\/hasil\/SPI-DEMO-\d{4})\n/.exec(output)![1]!;
      const published = await fetch(`http://127.0.0.1:${port}${new URL(publicLink).pathname}`);
      expect(published.status).toBe(200);
      expect(await published.text()).toContain('Kota Kupang');
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('"msg":"stopped"');
      expect(output).toContain('"path":"/r/[token]"');
      expect(output).not.toContain(new URL(demoLink).pathname.slice(3) + '"'); // the token never reaches the request log
      // the demo's agencies carry their zones, and Kota Kupang two follow-up actions, one overdue
      const demo = new Database(path.join(dir, 'demo.db'), { readonly: true });
      try {
        expect(demo.prepare('SELECT code, time_zone AS zone FROM agencies ORDER BY code').all()).toEqual([
          { code: 'KAB-SIKKA', zone: 'Asia/Makassar' },
          { code: 'KEM-DEMO', zone: 'Asia/Jakarta' },
          { code: 'KOTA-KUPANG', zone: 'Asia/Makassar' },
          { code: 'PROV-NTT', zone: 'Asia/Makassar' },
        ]);
        expect(demo.prepare(`SELECT a.code, f.status, f.due_on < date('now') AS late FROM follow_up_actions f JOIN agencies a ON a.id = f.agency_id JOIN surveys s ON s.id = f.survey_id WHERE s.code = 'SPI-DEMO' ORDER BY f.id`).all()).toEqual([
          { code: 'KOTA-KUPANG', status: 'planned', late: 0 },
          { code: 'KOTA-KUPANG', status: 'in_progress', late: 1 },
        ]);
      } finally {
        demo.close();
      }
    } finally {
      cleanup();
    }
  });
});

describe('weight of a respondent page', () => {
  let world: World;
  afterEach(() => world.cleanup());

  /** A GET as a phone's browser makes it, counting the bytes on the wire (supertest would unzip them). */
  const onTheWire = (baseUrl: string, path: string) =>
    new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      http
        .get(baseUrl + path, { headers: { 'Accept-Encoding': 'gzip' } }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => (response.statusCode === 200 ? resolve({ headers: response.headers, body: Buffer.concat(chunks) }) : reject(new Error(`${path}: ${response.statusCode}`))));
        })
        .on('error', reject);
    });

  it('a questionnaire page with the files it links is sent gzipped, under 30 KB; the files are kept a year under a fingerprint', async () => {
    world = await createWorld();
    const served = await serveWorld(world);
    onTestFinished(() => served.close());
    const token = world.tokens.get('Ani')!;
    const page = await onTheWire(served.baseUrl, `/r/${token}/p/1`);
    expect(page.headers['content-encoding']).toBe('gzip');
    const html = gunzipSync(page.body).toString('utf8');
    const linked = [...html.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((match) => match[1]!);
    expect(linked).toEqual([expect.stringMatching(/^\/static\/app\.css\?v=[0-9a-f]{12}$/), expect.stringMatching(/^\/static\/respond\.js\?v=[0-9a-f]{12}$/)]);
    let wireBytes = page.body.length;
    for (const address of linked) {
      const file = await onTheWire(served.baseUrl, address);
      expect(file.headers['content-encoding']).toBe('gzip');
      expect(file.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      wireBytes += file.body.length;
    }
    expect(wireBytes).toBeLessThan(30 * 1024);
    // the fingerprint is the file's: another one (a page cached before a release) is kept an hour only
    const stale = await request(world.app).get('/static/app.css?v=000000000000').expect(200);
    expect(stale.headers['cache-control']).toBe('public, max-age=3600');
    expect((await request(world.app).get('/static/app.css').expect(200)).headers['cache-control']).toBe('public, max-age=3600');
  });

  it('staff pages and the respondent API are not compressed (a CSRF token next to reflected text invites BREACH)', async () => {
    world = await createWorld();
    const login = await request(world.app).get('/staff/login?next=/staff/monitoring/SPI-TEST').set('Accept-Encoding', 'gzip').expect(200);
    expect(login.text).toContain('name="_csrf"');
    expect(login.headers['content-encoding']).toBeUndefined();
    const api = await request(world.app).get(`/api/v1/respond/${world.tokens.get('Ani')!}`).set('Accept-Encoding', 'gzip').expect(200);
    expect(api.headers['content-encoding']).toBeUndefined();
  });
});
