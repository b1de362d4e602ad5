import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorld, type World } from '../helpers.js';
import { testSurvey } from '../fixtures/survey.js';

let world: World;
beforeEach(async () => {
  world = await createWorld();
});
afterEach(() => world.cleanup());

const page = (path: string, name = 'Ani') => `/r/${world.tokens.get(name)!}${path}`;

describe('respondent pages without JavaScript', () => {
  it('welcome page: confidentiality statement, language switch, start link; records the visit', async () => {
    const response = await request(world.app).get(page('')).expect(200);
    expect(response.text).toContain('Jawaban Anda rahasia.');
    expect(response.text).toContain('Survei ini menilai integritas Provinsi A.');
    expect(response.text).toContain(`href="${page('/p/1')}"`);
    expect(response.text).toMatch(/<a href="[^"]+\?lang=en" lang="en" hreflang="en">English<\/a>/);
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(world.db.prepare(`SELECT status FROM invitations WHERE opened_at IS NOT NULL`).pluck().all()).toEqual(['opened']);
  });

  it('switching language is remembered for the next pages', async () => {
    expect((await request(world.app).get(page('?lang=en')).expect(200)).text).toContain('Your answers are confidential.');
    const next = await request(world.app).get(page('/p/1')).expect(200);
    expect(next.text).toContain('<html lang="en">');
    expect(next.text).toContain('Part 1 of 3');
  });

  it('walks through a same-page skip gate, a later-page gate, review and submit', async () => {
    const agent = request.agent(world.app);
    const first = await agent.get(page('/p/1')).expect(200);
    expect(first.text).toContain('Bagian 1 dari 3');
    expect(first.text).toMatch(/id="item-I_PBJ_SAME"[^>]*hidden/);

    // Choosing "yes" on the gate opens an item on this same page: the server keeps us here.
    const stay = await agent.post(page('/p/1')).type('form').send({ 'q:I_TR_1': '3', 'q:I_TR_2': '4', 'q:I_GATE': 'yes', nav: 'next' }).expect(303);
    expect(stay.headers.location).toBe(page('/p/1?more=1#item-I_PBJ_SAME'));
    const again = await agent.get(page('/p/1?more=1')).expect(200);
    expect(again.text).toContain('memunculkan pertanyaan tambahan');
    expect(again.text).not.toMatch(/id="item-I_PBJ_SAME"[^>]*hidden/);
    expect(again.text).toMatch(/name="q:I_TR_2" value="4" checked/);

    await agent.post(page('/p/1')).type('form').send({ 'q:I_TR_1': '3', 'q:I_TR_2': '4', 'q:I_GATE': 'yes', 'q:I_PBJ_SAME': '2', nav: 'next' }).expect(303).expect('Location', page('/p/2'));
    await agent.post(page('/p/2')).type('form').send('q%3AI_PBJ_1=1&q%3AI_CHANNELS=wbs&q%3AI_CHANNELS=email&nav=next').expect(303).expect('Location', page('/p/3'));

    const invalid = await agent.post(page('/p/3')).type('form').send({ 'q:I_YEARS': '99', 'q:I_NOTE': '', nav: 'next' }).expect(422);
    expect(invalid.text).toContain('Angka paling besar 45.');
    expect(invalid.text).toContain('value="99"');
    expect(invalid.text).toContain('aria-invalid="true"');

    await agent.post(page('/p/3')).type('form').send({ 'q:I_YEARS': '12', nav: 'next' }).expect(303).expect('Location', page('/review'));
    const review = await agent.get(page('/review')).expect(200);
    expect(review.text).toContain('Semua pertanyaan wajib sudah dijawab.');
    expect(review.text).toContain('7 dari 8 pertanyaan yang ditampilkan sudah dijawab.'); // the optional note is empty

    await agent.post(page('/submit')).expect(303).expect('Location', page('/thanks'));
    const thanks = await agent.get(page('/thanks')).expect(200);
    expect(thanks.text).toContain('Terima kasih!');
    const receipt = /data-receipt>([^<]+)</.exec(thanks.text)![1];
    expect(receipt).toMatch(/^[A-Z0-9]{5}-[A-Z0-9]{5}$/);
    const stored = world.db.prepare('SELECT item_code, value_json FROM response_answers ORDER BY item_code').all();
    expect(stored).toEqual([
      { item_code: 'I_CHANNELS', value_json: '["wbs","email"]' },
      { item_code: 'I_GATE', value_json: '"yes"' },
      { item_code: 'I_PBJ_1', value_json: '"1"' },
      { item_code: 'I_PBJ_SAME', value_json: '"2"' },
      { item_code: 'I_TR_1', value_json: '"3"' },
      { item_code: 'I_TR_2', value_json: '"4"' },
      { item_code: 'I_YEARS', value_json: '12' },
    ]);

    const afterwards = await agent.get(page('')).expect(409);
    expect(afterwards.text).toContain('Kuesioner sudah diisi');
    expect(afterwards.text).toContain(receipt);
    await agent.post(page('/p/1')).type('form').send({ 'q:I_TR_1': '1' }).expect(409);
  });

  it('the review lists missing required items with links; submitting then answers 422 and stores nothing', async () => {
    await request(world.app).post(page('/p/1')).type('form').send({ 'q:I_TR_1': '3', 'q:I_GATE': 'no', nav: 'next' }).expect(303);
    const review = await request(world.app).get(page('/review')).expect(200);
    expect(review.text).toContain('Pertanyaan wajib yang belum dijawab (2)');
    expect(review.text).toContain(`href="${page('/p/1#item-I_TR_2')}"`);
    expect(review.text).toContain(`href="${page('/p/3#item-I_YEARS')}"`);
    const refused = await request(world.app).post(page('/submit')).expect(422);
    expect(refused.text).toContain('Pertanyaan wajib yang belum dijawab (2)');
    expect(world.db.prepare('SELECT COUNT(*) FROM responses').pluck().get()).toBe(0);
  });

  it('skips a page whose items are all hidden, both ways', async () => {
    world.cleanup();
    const survey = testSurvey();
    const pages = survey.questionnaires.internal!.pages;
    pages[1]!.items = [pages[1]!.items[0]!]; // page 2 now holds only the item behind the gate
    world = await createWorld({ survey });
    await request(world.app).post(page('/p/1')).type('form').send({ 'q:I_GATE': 'no', nav: 'next' }).expect(303).expect('Location', page('/p/3'));
    await request(world.app).post(page('/p/3')).type('form').send({ nav: 'back' }).expect(303).expect('Location', page('/p/1'));
    await request(world.app).post(page('/p/1')).type('form').send({ 'q:I_GATE': 'yes', 'q:I_PBJ_SAME': '1', nav: 'next' }).expect(303).expect('Location', page('/p/2'));
    await request(world.app).post(page('/p/1')).type('form').send({ nav: 'back' }).expect(303).expect('Location', page(''));
  });

  it('unknown and malformed links show the same page; pages past the end are 404', async () => {
    const unknown = await request(world.app).get(`/r/${'A'.repeat(24)}`).expect(404);
    const malformed = await request(world.app).get('/r/%3Cscript%3E').expect(404);
    expect(unknown.text).toBe(malformed.text);
    expect(unknown.text).toContain('Tautan tidak dikenali');
    const beyond = await request(world.app).get(page('/p/9')).expect(404);
    expect(beyond.text).not.toContain('Error:');
  });

  it('closed and not-yet-open surveys say so, with the date, in the respondent language', async () => {
    world.clock.set('2027-01-05T00:00:00Z');
    const closed = await request(world.app).get(page('', 'Budi')).expect(410);
    expect(closed.text).toContain('The survey has closed');
    expect(closed.text).toContain('31 December 2026');
    world.clock.set('2026-06-01T00:00:00Z');
    const early = await request(world.app).get(page('')).expect(410);
    expect(early.text).toContain('Survei belum dibuka');
    expect(early.text).toContain('1 Juli 2026');
  });

  it('escapes what it shows: a respondent answer never becomes markup', async () => {
    await request(world.app).post(page('/p/3')).type('form').send({ 'q:I_YEARS': '3', 'q:I_NOTE': '<img src=x onerror=alert(1)>', nav: 'next' }).expect(303);
    const shown = await request(world.app).get(page('/p/3')).expect(200);
    expect(shown.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(shown.text).not.toContain('<img src=x');
  });
});
