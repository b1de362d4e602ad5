import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorld, type World } from '../helpers.js';

let world: World;
afterEach(() => world.cleanup());

const unknownToken = (index: number) => `Z${String(index).padStart(23, '0')}`;

describe('rate limits on token endpoints', () => {
  it('an address that guesses too many links is refused further guesses, but no colleague behind it is locked out', async () => {
    world = await createWorld({ tokenLimits: { requestsPerToken: 1000, failuresPerAddress: 5, windowMs: 60_000 } });
    const colleague = world.tokens.get('Ani')!;
    await request(world.app).get(`/api/v1/respond/${colleague}`).expect(200); // mid-questionnaire already
    for (let index = 0; index < 5; index++) await request(world.app).get(`/api/v1/respond/${unknownToken(index)}`).expect(404);

    const refused = await request(world.app).get(`/api/v1/respond/${unknownToken(99)}`).expect(429);
    expect(refused.body).toEqual({ error: 'rate_limited', message: 'Too many requests. Please wait a moment and try again.' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // guesses stay refused, malformed ones too, on pages and API alike
    for (const guess of [unknownToken(100), 'short', `${colleague.slice(0, -1)}${colleague.endsWith('A') ? 'B' : 'A'}`]) {
      await request(world.app).get(`/r/${guess}`).expect(429);
      await request(world.app).get(`/api/v1/respond/${guess}`).expect(429);
    }
    // the colleague who was already answering goes on, and one opening their link for the first time gets in
    await request(world.app).put(`/api/v1/respond/${colleague}/answers`).send({ answers: { I_TR_1: '2' } }).expect(200);
    await request(world.app).get(`/r/${world.tokens.get('Budi')!}`).expect(200);
    await request(world.app).put(`/api/v1/respond/${world.tokens.get('Budi')!}/answers`).send({ answers: { I_TR_1: '3' } }).expect(200);

    // after the window the address starts afresh
    world.clock.advance(61_000);
    await request(world.app).get(`/api/v1/respond/${unknownToken(101)}`).expect(404);
  });

  it('one link hammered beyond its budget is refused, with a page in Bahasa Indonesia', async () => {
    world = await createWorld({ tokenLimits: { requestsPerToken: 3, failuresPerAddress: 100, windowMs: 60_000 } });
    const token = world.tokens.get('Ani')!;
    for (let index = 0; index < 3; index++) await request(world.app).get(`/r/${token}`).expect(200);
    const refused = await request(world.app).get(`/r/${token}`).expect(429);
    expect(refused.text).toContain('Terlalu banyak permintaan');
    await request(world.app).get(`/r/${world.tokens.get('Budi')!}`).expect(200);
  });

  it('behind a proxy named in TRUST_PROXY, each respondent address has its own budget; otherwise X-Forwarded-For is ignored', async () => {
    world = await createWorld({ tokenLimits: { requestsPerToken: 1000, failuresPerAddress: 3, windowMs: 60_000 }, env: { TRUST_PROXY: 'loopback' } });
    for (let index = 0; index < 3; index++) await request(world.app).get(`/api/v1/respond/${unknownToken(index)}`).set('X-Forwarded-For', '203.0.113.7').expect(404);
    await request(world.app).get(`/api/v1/respond/${unknownToken(9)}`).set('X-Forwarded-For', '203.0.113.7').expect(429);
    await request(world.app).get(`/api/v1/respond/${unknownToken(9)}`).set('X-Forwarded-For', '198.51.100.2').expect(404);
    world.cleanup();

    // without TRUST_PROXY a client cannot choose its own address to escape the limit
    world = await createWorld({ tokenLimits: { requestsPerToken: 1000, failuresPerAddress: 3, windowMs: 60_000 } });
    for (let index = 0; index < 3; index++) await request(world.app).get(`/api/v1/respond/${unknownToken(index)}`).set('X-Forwarded-For', `203.0.113.${index}`).expect(404);
    await request(world.app).get(`/api/v1/respond/${unknownToken(9)}`).set('X-Forwarded-For', '198.51.100.2').expect(429);
  });
});
