import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkWithLibphonenumber, normalizeMobileNumber } from '../../server/respondents/phone.js';

describe('mobile number normalisation (+62 default)', () => {
  it.each(['0812-3456-7890', '62812 3456 7890', '6281234567890', '+62 812 3456 7890', '+62 (812) 3456-7890', '812 3456 7890'])('%s is +6281234567890', (input) => {
    expect(normalizeMobileNumber(input)).toEqual({ ok: true, e164: '+6281234567890' });
  });
  it('keeps foreign mobile numbers written with their country code', () => {
    expect(normalizeMobileNumber('+44 7911 123456')).toEqual({ ok: true, e164: '+447911123456' });
  });
  it.each([
    ['021-5551234', 'is not a mobile number'],
    ['0812', 'is not a valid phone number'],
    ['call me', 'is not a phone number'],
    ['0812345678901234567', 'is not a valid phone number'],
    ['6.28123E+12', 'is a number a spreadsheet shortened'],
    ['6,28123E+12', 'is a number a spreadsheet shortened'],
    ['6.28123456789e12', 'is a number a spreadsheet shortened'],
  ])('refuses %s', (input, reason) => {
    const checked = normalizeMobileNumber(input);
    expect(checked.ok).toBe(false);
    expect(checked.ok ? '' : checked.reason).toContain(reason);
  });
});

describe('the fast path for Indonesian mobile numbers agrees with libphonenumber', () => {
  const formats = [(n: string) => '0' + n, (n: string) => '62' + n, (n: string) => '+62 ' + n, (n: string) => n, (n: string) => `0${n.slice(0, 3)}-${n.slice(3, 7)}-${n.slice(7)}`, (n: string) => `+62 (${n.slice(0, 3)}) ${n.slice(3)}`];
  it('gives the same answer for every number starting with 8, any length, in every usual spelling', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^8\d{5,13}$/), fc.integer({ min: 0, max: formats.length - 1 }), (national, format) => {
        const written = formats[format]!(national);
        expect(normalizeMobileNumber(written)).toEqual(checkWithLibphonenumber(written));
      }),
      { numRuns: 3000 },
    );
  });
  it('covers each mobile prefix at each length (the fast path answers, libphonenumber agrees)', () => {
    for (const prefix of ['81', '82', '83', '85', '86', '87', '88', '89']) {
      for (let length = 9; length <= 12; length++) {
        const national = prefix + '1234567890'.slice(0, length - 2);
        expect(normalizeMobileNumber('0' + national)).toEqual({ ok: true, e164: '+62' + national });
        expect(checkWithLibphonenumber('0' + national)).toEqual({ ok: true, e164: '+62' + national });
      }
    }
  });
});
