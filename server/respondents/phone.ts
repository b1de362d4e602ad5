import { createRequire } from 'node:module';

export type PhoneCheck = { ok: true; e164: string } | { ok: false; reason: string };

type ParsePhoneNumber = typeof import('libphonenumber-js/max').parsePhoneNumberFromString;
let parsePhoneNumber: ParsePhoneNumber | undefined;
/** libphonenumber-js with its full metadata (~12 MB in memory) is loaded the first time a number
 * is not an ordinary Indonesian mobile number, not when the server starts. */
function libphonenumber(): ParsePhoneNumber {
  parsePhoneNumber ??= (createRequire(import.meta.url)('libphonenumber-js/max') as typeof import('libphonenumber-js/max')).parsePhoneNumberFromString;
  return parsePhoneNumber;
}

/** Indonesian mobile numbers as libphonenumber's own metadata defines them (ID, type mobile:
 * `8[1-35-9]\d{7,10}`; no other ID number type starts with 8 followed by those digits). Written as
 * 0812…, 62812…, +62 812… or 812…. A test checks that every number this accepts gets the same E.164
 * from libphonenumber; anything else goes to libphonenumber itself. */
const INDONESIAN_MOBILE = /^(?:\+?62|0)?(8[1-35-9]\d{7,10})$/;

const SCIENTIFIC_NOTATION = /^[+-]?\d+(?:[.,]\d+)?E\+?\d+$/i;

/** Normalises a mobile number to E.164 with Indonesia (+62) as the default region:
 * `0812-3456-7890`, `62812…` and `+62 812…` are the same number. Landlines are refused:
 * invitations go by WhatsApp or SMS-capable numbers only. */
export function normalizeMobileNumber(input: string): PhoneCheck {
  const raw = input.trim();
  if (raw === '') return { ok: false, reason: 'is empty' };
  // what a spreadsheet makes of +6281234567890 in a CSV it opened: the digits are lost, say why
  if (SCIENTIFIC_NOTATION.test(raw)) return { ok: false, reason: `"${raw.slice(0, 40)}" is a number a spreadsheet shortened: format the phone column as text, type the numbers again, or use XLSX` };
  if (!/^[+()\d\s.\-/]+$/.test(raw)) return { ok: false, reason: `"${raw.slice(0, 40)}" is not a phone number` };
  const compact = raw.replace(/[\s.\-/()]/g, '');
  // the fast path for the numbers that fill an Indonesian respondents file (P3 in BENCHMARKS.md)
  const mobile = INDONESIAN_MOBILE.exec(compact);
  if (mobile) return { ok: true, e164: '+62' + mobile[1] };
  return checkWithLibphonenumber(raw);
}

/** The full check with libphonenumber's metadata (also what the fast path is tested against). */
export function checkWithLibphonenumber(raw: string): PhoneCheck {
  const digits = raw.replace(/\D/g, '');
  // Spreadsheets drop the "+" (and sometimes the leading 0): 62812… is +62 812….
  const candidate = raw.startsWith('+') ? '+' + digits : digits.startsWith('62') && digits.length >= 10 ? '+' + digits : digits;
  const parsed = libphonenumber()(candidate, 'ID');
  if (!parsed || !parsed.isValid()) return { ok: false, reason: `"${raw.slice(0, 40)}" is not a valid phone number` };
  const type = parsed.getType();
  if (type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') {
    return { ok: false, reason: `"${raw.slice(0, 40)}" is not a mobile number` };
  }
  return { ok: true, e164: parsed.number };
}
