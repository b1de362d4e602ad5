import { describe, expect, it } from 'vitest';
import { normalizeMobileNumber } from '../../server/respondents/phone.js';

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
  ])('refuses %s', (input, reason) => {
    const checked = normalizeMobileNumber(input);
    expect(checked.ok).toBe(false);
    expect(checked.ok ? '' : checked.reason).toContain(reason);
  });
});
