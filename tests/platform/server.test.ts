import { spawn } from 'node:child_process';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorld, tempDir, type World } from '../helpers.js';

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
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('"msg":"stopped"');
      expect(output).toContain('"path":"/r/[token]"');
      expect(output).not.toContain(new URL(demoLink).pathname.slice(3) + '"'); // the token never reaches the request log
    } finally {
      cleanup();
    }
  });
});

describe('weight of a respondent page', () => {
  let world: World;
  afterEach(() => world.cleanup());

  it('a questionnaire page with its CSS and JS stays under 30 KB compressed', async () => {
    world = await createWorld();
    const token = world.tokens.get('Ani')!;
    const html = (await request(world.app).get(`/r/${token}/p/1`).expect(200)).text;
    const css = (await request(world.app).get('/static/app.css').expect(200)).text;
    const js = (await request(world.app).get('/static/respond.js').expect(200)).text;
    expect(html).toContain('/static/app.css');
    expect(html).toContain('/static/respond.js');
    const compressed = [html, css, js].reduce((sum, text) => sum + gzipSync(text).length, 0);
    expect(compressed).toBeLessThan(30 * 1024);
  });
});
