import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { id } from '../../server/platform/locales/id.js';
import { addStaffOfEveryRole, createWorld, signInAs, type World } from '../helpers.js';

let world: World;
beforeEach(async () => {
  world = await createWorld();
  await addStaffOfEveryRole(world);
});
afterEach(() => world.cleanup());

const footerOf = (html: string) => /<footer class="foot"><p>([^<]*)<\/p><\/footer>/.exec(html)?.[1];
const escaped = (text: string) => text.replace(/'/g, '&#39;');

describe('the footer', () => {
  it('promises confidentiality to respondents, and tells staff and the public that they read aggregates', async () => {
    expect(footerOf((await request(world.app).get(`/r/${world.tokens.get('Ani')}`).expect(200)).text)).toBe(id['app.footer']);
    expect(footerOf((await request(world.app).get('/staff/login').expect(200)).text)).toBe(escaped(id['app.footer_staff']));
    const admin = await signInAs(world, 'admin@example.id');
    expect(footerOf((await admin.agent.get('/staff/results/SPI-TEST').expect(200)).text)).toBe(escaped(id['app.footer_staff']));
    expect(footerOf((await request(world.app).get('/hasil').expect(200)).text)).toBe(escaped(id['app.footer_public']));
  });
});
