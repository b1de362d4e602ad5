import { describe, expect, it } from 'vitest';
import { suggestEmail, typingDistance } from '../../server/respondents/emailTypos.js';

describe('likely typing mistakes in an email domain', () => {
  it.each([
    ['budi@gmial.com', 'budi@gmail.com'],
    ['budi@gmail.con', 'budi@gmail.com'],
    ['budi@gmai.com', 'budi@gmail.com'],
    ['budi@gmail.co', 'budi@gmail.com'],
    ['budi@gmail.co.id', 'budi@gmail.com'],
    ['budi@gamil.com', 'budi@gmail.com'],
    ['siti@yaho.co.id', 'siti@yahoo.co.id'],
    ['siti@yahoo.co.di', 'siti@yahoo.co.id'],
    ['siti@yahoo.co', 'siti@yahoo.com'],
    ['siti@yahoo.id', 'siti@yahoo.co.id'],
    ['ani@hotmial.com', 'ani@hotmail.com'],
    ['ani@hotmali.con', 'ani@hotmail.com'],
    ['ani@outlok.com', 'ani@outlook.com'],
    ['ani@kantor.con', 'ani@kantor.com'],
  ])('%s was probably meant as %s', (typed, meant) => {
    expect(suggestEmail(typed)).toBe(meant);
  });

  it.each(['budi@gmail.com', 'budi@ymail.com', 'budi@mail.com', 'budi@email.com', 'budi@yahoo.co.id', 'pegawai@kemenkeu.go.id', 'warga@example.id', 'a@kpk.go.id', 'a@example.co', 'a@me.com', 'a@live.com'])('%s looks right', (typed) => {
    expect(suggestEmail(typed)).toBeNull();
  });

  it('counts one for each insertion, deletion, substitution and swap of neighbours', () => {
    expect(typingDistance('gmail.com', 'gmail.com')).toBe(0);
    expect(typingDistance('gmial.com', 'gmail.com')).toBe(1);
    expect(typingDistance('gmai.com', 'gmail.com')).toBe(1);
    expect(typingDistance('gmaill.com', 'gmail.com')).toBe(1);
    expect(typingDistance('gmsil.com', 'gmail.com')).toBe(1);
    expect(typingDistance('hotmali.con', 'hotmail.com')).toBe(2);
    expect(typingDistance('', 'abc')).toBe(3);
  });

  it('judges each domain once when given a cache', () => {
    const cache = new Map<string, string | null>();
    expect(suggestEmail('a@gmial.com', cache)).toBe('a@gmail.com');
    expect(suggestEmail('b@gmial.com', cache)).toBe('b@gmail.com');
    expect(suggestEmail('c@example.id', cache)).toBeNull();
    expect([...cache]).toEqual([['gmial.com', 'gmail.com'], ['example.id', null]]);
  });
});
