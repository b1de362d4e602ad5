import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorld, type World } from '../helpers.js';

let world: World;
afterEach(() => world.cleanup());

const unknownToken = (index: number) => `Z${String(index).padStart(23, '0')}`;

describe('rate limits on token endpoints', () => {
  it('an address that guesses too many links is refused new ones, but links that worked from it keep working', async () => {
    world = await createWorld({ tokenLimits: { requestsPerToken: 1000, failuresPerAddress: 5, windowMs: 60_000 } });
    const colleague = world.tokens.get('Ani')!;
    await request(world.app).get(`/api/v1/respond/${colleague}`).expect(200); // mid-questionnaire already
    for (let index = 0; index < 5; index++) await request(world.app).get(`/api/v1/respond/${unknownToken(index)}`).expect(404);

    const refused = await request(world.app).get(`/api/v1/respond/${unknownToken(99)}`).expect(429);
    expect(refused.body).toEqual({ error: 'rate_limited', message: 'Too many requests. Please wait a moment and try again.' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // a real link never opened from this address is refused too: no oracle for the guesser
    await request(world.app).get(`/r/${world.tokens.get('Budi')!}`).expect(429);
    // the colleague who was already answering is not locked out
    await request(world.app).put(`/api/v1/respond/${colleague}/answers`).send({ answers: { I_TR_1: '2' } }).expect(200);

    world.clock.advance(61_000);
    await request(world.app).get(`/r/${world.tokens.get('Budi')!}`).expect(200);
  });

  it('one link hammered beyond its budget is refused, with a page in Bahasa Indonesia', async () => {
    world = await createWorld({ tokenLimits: { requestsPerToken: 3, failuresPerAddress: 100, windowMs: 60_000 } });
    const token = world.tokens.get('Ani')!;
    for (let index = 0; index < 3; index++) await request(world.app).get(`/r/${token}`).expect(200);
    const refused = await request(world.app).get(`/r/${token}`).expect(429);
    expect(refused.text).toContain('Terlalu banyak permintaan');
    await request(world.app).get(`/r/${world.tokens.get('Budi')!}`).expect(200);
  });
});
