import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export type PhoneCheck = { ok: true; e164: string } | { ok: false; reason: string };

/** Normalises a mobile number to E.164 with Indonesia (+62) as the default region:
 * `0812-3456-7890`, `62812…` and `+62 812…` are the same number. Landlines are refused:
 * invitations go by WhatsApp or SMS-capable numbers only. */
export function normalizeMobileNumber(input: string): PhoneCheck {
  const raw = input.trim();
  if (raw === '') return { ok: false, reason: 'is empty' };
  if (!/^[+()\d\s.\-/]+$/.test(raw)) return { ok: false, reason: `"${raw.slice(0, 40)}" is not a phone number` };
  const digits = raw.replace(/\D/g, '');
  // Spreadsheets drop the "+" (and sometimes the leading 0): 62812… is +62 812….
  const candidate = raw.startsWith('+') ? '+' + digits : digits.startsWith('62') && digits.length >= 10 ? '+' + digits : digits;
  const parsed = parsePhoneNumberFromString(candidate, 'ID');
  if (!parsed || !parsed.isValid()) return { ok: false, reason: `"${raw.slice(0, 40)}" is not a valid phone number` };
  const type = parsed.getType();
  if (type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') {
    return { ok: false, reason: `"${raw.slice(0, 40)}" is not a mobile number` };
  }
  return { ok: true, e164: parsed.number };
}
