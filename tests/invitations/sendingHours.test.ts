import { describe, expect, it } from 'vitest';
import {
  describeSendingHeld,
  drainMinutes,
  formatSendingHours,
  parseSendingHours,
  sendingDoneAt,
  sendingDoneInZones,
  sendingEstimate,
  sendingHeld,
  sendingHeldKey,
  sendingWindow,
  sendingZones,
  zoneShares,
  zoneWindows,
  type SendingHours,
} from '../../server/invitations/sendingHours.js';
import { translator } from '../../server/platform/i18n.js';

const hours = parseSendingHours('07:00-20:00') as SendingHours;

describe('sending hours', () => {
  it('reads HH:MM-HH:MM and explains what it cannot read', () => {
    expect(hours).toEqual({ fromMinute: 420, toMinute: 1200 });
    expect(formatSendingHours(hours)).toBe('07:00–20:00');
    expect(parseSendingHours(' 08:30-17:45 ')).toEqual({ fromMinute: 510, toMinute: 1065 });
    expect(parseSendingHours('7:00-20:00')).toEqual({ problem: expect.stringContaining('HH:MM-HH:MM') });
    expect(parseSendingHours('20:00-07:00')).toEqual({ problem: expect.stringContaining('span midnight') });
    expect(parseSendingHours('08:00-08:00')).toEqual({ problem: expect.stringContaining('start before') });
    expect(parseSendingHours('08:00-24:01')).toEqual({ problem: expect.stringContaining('24:00') });
  });

  it('is open from the first minute up to, not including, the last, by the local clock (Jakarta is UTC+7)', () => {
    expect(sendingWindow(new Date('2026-08-01T00:00:00Z'), 'Asia/Jakarta', hours)).toEqual({ open: true });
    expect(sendingWindow(new Date('2026-08-01T12:59:59Z'), 'Asia/Jakarta', hours)).toEqual({ open: true });
    // 20:00 WIB: closed until 07:00 WIB the next day
    expect(sendingWindow(new Date('2026-08-01T13:00:00Z'), 'Asia/Jakarta', hours)).toEqual({ open: false, opensAt: new Date('2026-08-02T00:00:00Z') });
    // 06:59:30 WIB: opens in thirty seconds, on the minute
    expect(sendingWindow(new Date('2026-08-01T23:59:30Z'), 'Asia/Jakarta', hours)).toEqual({ open: false, opensAt: new Date('2026-08-02T00:00:00Z') });
    // 02:15 WIT (UTC+9) is 00:15 WIB: the zone decides
    expect(sendingWindow(new Date('2026-08-01T17:15:00Z'), 'Asia/Jayapura', hours)).toEqual({ open: false, opensAt: new Date('2026-08-01T22:00:00Z') });
    expect(sendingWindow(new Date('2026-08-01T17:15:00Z'), 'Asia/Jakarta', undefined)).toEqual({ open: true });
  });

  it('opens at the local hour even when the clocks change in between', () => {
    // 21:00 in Berlin on the night the clocks go forward: 07:00 the next morning is 05:00 UTC, not 06:00
    expect(sendingWindow(new Date('2026-03-28T20:00:00Z'), 'Europe/Berlin', hours)).toEqual({ open: false, opensAt: new Date('2026-03-29T05:00:00Z') });
    // and on the night they go back: 07:00 is 06:00 UTC, not 05:00
    expect(sendingWindow(new Date('2026-10-24T19:00:00Z'), 'Europe/Berlin', hours)).toEqual({ open: false, opensAt: new Date('2026-10-25T06:00:00Z') });
  });

  it('says when queued messages leave, in the local day and time', () => {
    expect(sendingHeld(new Date('2026-08-01T14:30:00Z'), ['Asia/Jakarta'], 'Asia/Jakarta', hours)).toEqual({ scope: 'zone', hours: '07:00–20:00', timeZone: 'Asia/Jakarta', day: '2026-08-02', time: '07:00' });
    expect(sendingHeld(new Date('2026-08-01T03:00:00Z'), ['Asia/Jakarta'], 'Asia/Jakarta', hours)).toBeUndefined();
    // one agency's page: its own zone, whatever the default
    expect(sendingHeld(new Date('2026-08-01T12:30:00Z'), ['Asia/Jayapura'], 'Asia/Jakarta', hours)).toMatchObject({ scope: 'zone', timeZone: 'Asia/Jayapura', time: '07:00' });
    expect(sendingHeld(new Date('2026-08-01T03:00:00Z'), ['Asia/Jakarta'], 'Asia/Jakarta', undefined)).toBeUndefined();
  });
});

describe('sending hours in each agency\'s zone', () => {
  const indonesia = sendingZones([null, 'Asia/Makassar', 'Asia/Jayapura', null, 'Asia/Jayapura'], 'Asia/Jakarta');

  it('lists each zone once, agencies without one in the default zone', () => {
    expect(indonesia).toEqual(['Asia/Jakarta', 'Asia/Jayapura', 'Asia/Makassar']);
  });

  it('closes in the east first and opens there first', () => {
    // 19:30 WIB = 20:30 WITA = 21:30 WIT: closed in WITA and WIT, open in WIB
    const evening = zoneWindows(new Date('2026-08-01T12:30:00Z'), indonesia, hours);
    expect([...evening.closed.keys()].sort()).toEqual(['Asia/Jayapura', 'Asia/Makassar']);
    expect(evening.closed.get('Asia/Jayapura')).toEqual(new Date('2026-08-01T22:00:00Z')); // 07:00 WIT
    expect(evening.closed.get('Asia/Makassar')).toEqual(new Date('2026-08-01T23:00:00Z')); // 07:00 WITA
    expect(evening.heldUntil).toBeUndefined();
    // 23:00 WIB: closed everywhere; WIT opens first, at 05:00 WIB
    const night = zoneWindows(new Date('2026-08-01T16:00:00Z'), indonesia, hours);
    expect(night.closed.size).toBe(3);
    expect(night.heldUntil).toEqual(new Date('2026-08-01T22:00:00Z'));
    // 05:30 WIB = 07:30 WIT: open in the east only
    expect([...zoneWindows(new Date('2026-08-01T22:30:00Z'), indonesia, hours).closed.keys()].sort()).toEqual(['Asia/Jakarta', 'Asia/Makassar']);
    expect(zoneWindows(new Date('2026-08-01T16:00:00Z'), indonesia, undefined)).toEqual({ closed: new Map() });
  });

  it('says where messages wait, or when the first leave when they wait everywhere', () => {
    expect(sendingHeld(new Date('2026-08-01T12:30:00Z'), indonesia, 'Asia/Jakarta', hours)).toEqual({
      scope: 'somewhere',
      hours: '07:00–20:00',
      zones: 'WIT (Asia/Jayapura), WITA (Asia/Makassar)',
    });
    // the first opening, in the default zone's clock
    expect(sendingHeld(new Date('2026-08-01T16:00:00Z'), indonesia, 'Asia/Jakarta', hours)).toEqual({ scope: 'everywhere', hours: '07:00–20:00', timeZone: 'Asia/Jakarta', day: '2026-08-02', time: '05:00' });
    expect(sendingHeld(new Date('2026-08-01T03:00:00Z'), indonesia, 'Asia/Jakarta', hours)).toBeUndefined();
    const en = translator('en');
    expect(describeSendingHeld(sendingHeld(new Date('2026-08-01T12:30:00Z'), indonesia, 'Asia/Jakarta', hours)!)).toBe(
      'Outside the sending hours (07:00–20:00, local time) in WIT (Asia/Jayapura), WITA (Asia/Makassar): messages to agencies there wait until their hours open; the others leave.',
    );
    const everywhere = sendingHeld(new Date('2026-08-01T16:00:00Z'), indonesia, 'Asia/Jakarta', hours)!;
    expect(en(sendingHeldKey(everywhere), everywhere)).toBe(
      "Outside the sending hours (07:00–20:00, each agency's local time) in every zone: queued messages wait, and the first leave from 2026-08-02 at 05:00 (Asia/Jakarta).",
    );
  });
});

describe('when a sending is done, within the hours', () => {
  it('goes on at the next opening with what does not fit before the closing', () => {
    const jakarta = (iso: string) => new Date(`${iso}+07:00`);
    // 18:00 with 4 h 30 min of sending: 2 h today, the rest from 07:00 tomorrow, done at 09:30
    expect(sendingDoneAt(jakarta('2026-08-01T18:00:00'), 270, 'Asia/Jakarta', hours)).toEqual(jakarta('2026-08-02T09:30:00'));
    // started at night: from the opening
    expect(sendingDoneAt(jakarta('2026-08-01T23:10:00'), 30, 'Asia/Jakarta', hours)).toEqual(jakarta('2026-08-02T07:30:00'));
    // 30 hours of sending at 13 hours a day: two full days and 4 hours on the third
    expect(sendingDoneAt(jakarta('2026-08-01T07:00:00'), 30 * 60, 'Asia/Jakarta', hours)).toEqual(jakarta('2026-08-03T11:00:00'));
    // exactly until the closing, and within the hours with seconds
    expect(sendingDoneAt(jakarta('2026-08-01T19:00:00'), 60, 'Asia/Jakarta', hours)).toEqual(jakarta('2026-08-01T20:00:00'));
    expect(sendingDoneAt(jakarta('2026-08-01T19:59:30'), 1, 'Asia/Jakarta', hours)).toEqual(jakarta('2026-08-02T07:00:30'));
    expect(sendingDoneAt(jakarta('2026-08-01T18:00:00'), 270, 'Asia/Jakarta', undefined)).toEqual(jakarta('2026-08-01T22:30:00'));
  });
});

describe('when a sending to agencies in several zones is done, each within its own hours', () => {
  const jakarta = (iso: string) => new Date(`${iso}+07:00`);

  it('is sendingDoneAt for a single zone', () => {
    for (const start of ['2026-08-01T05:30:00', '2026-08-01T07:00:00', '2026-08-01T13:17:45', '2026-08-01T19:59:30', '2026-08-01T22:00:00']) {
      for (const minutes of [0, 1, 45, 13 * 60, 31 * 60 + 7]) {
        for (const zone of ['Asia/Jakarta', 'Asia/Jayapura']) {
          expect(sendingDoneInZones(jakarta(start), new Map([[zone, minutes]]), hours), `${start} ${minutes} ${zone}`).toEqual(sendingDoneAt(jakarta(start), minutes, zone, hours));
        }
      }
    }
  });

  it('sends the east\'s share in its morning, while the west sleeps', () => {
    // 18:00 WIB is 20:00 WIT: Papua is closed. Jakarta's 2 h leave until its closing at 20:00 WIB;
    // Papua's 2 h from 07:00 WIT (05:00 WIB), done at 07:00 WIB, two hours before Jakarta's hours alone would say
    const work = new Map([['Asia/Jakarta', 120], ['Asia/Jayapura', 120]]);
    expect(sendingDoneInZones(jakarta('2026-08-01T18:00:00'), work, hours)).toEqual(jakarta('2026-08-02T07:00:00'));
    expect(sendingDoneAt(jakarta('2026-08-01T18:00:00'), 240, 'Asia/Jakarta', hours)).toEqual(jakarta('2026-08-02T09:00:00'));
  });

  it('shares the rates while both are open, and what the east has left at its closing waits for its next morning', () => {
    // from 08:00 WIB both open, 6 h each: by Papua's closing (18:00 WIB) 10 h are sent, 1 h left in each;
    // Jakarta's leaves by 19:00 WIB, Papua's from 05:00 WIB, done 06:00 WIB
    const work = new Map([['Asia/Jakarta', 360], ['Asia/Jayapura', 360]]);
    expect(sendingDoneInZones(jakarta('2026-08-01T08:00:00'), work, hours)).toEqual(jakarta('2026-08-02T06:00:00'));
    // without hours the zones make no difference
    expect(sendingDoneInZones(jakarta('2026-08-01T08:00:00'), work, undefined)).toEqual(jakarta('2026-08-01T20:00:00'));
    // under a minute of sending at night: done once the last of the zones has opened
    expect(sendingDoneInZones(jakarta('2026-08-01T21:00:00'), new Map([['Asia/Jakarta', 0], ['Asia/Jayapura', 0]]), hours)).toEqual(jakarta('2026-08-02T07:00:00'));
  });

  it('takes each zone\'s share from the messages, agencies without a zone in the default one', () => {
    expect(zoneShares([['Asia/Jayapura', 30], [null, 50], ['Asia/Jakarta', 20], ['Asia/Makassar', 0]], 'Asia/Jakarta')).toEqual(new Map([['Asia/Jayapura', 0.3], ['Asia/Jakarta', 0.7]]));
    expect(zoneShares([[null, 0]], 'Asia/Jakarta')).toBeUndefined();
  });
});

describe('the estimate a confirmation shows', () => {
  const t = translator('en');
  const keys = { plain: 'manage.invitations_eta', withHours: 'manage.invitations_eta_hours' } as const;
  const start = new Date('2026-08-01T11:00:00Z'); // 18:00 in Jakarta

  it('how long at the configured rates, the channels side by side', () => {
    // 36,000 emails at 10 a second: an hour; 7,200 WhatsApp at 4 a second: 30 min
    expect(sendingEstimate(drainMinutes({ email: 36_000, whatsapp: 7_200 }, { email: 10, whatsapp: 4 }), start, { ratesPerSecond: { email: 10, whatsapp: 4 }, timeZone: 'Asia/Jakarta' }, 'en', t, keys)).toBe(
      'At the configured rates (10 email and 4 WhatsApp per second), these invitations leave in about 1 h 0 min, after the messages already queued.',
    );
  });

  it('and with sending hours, when they are done', () => {
    // 4 h of sending from 18:00 with hours up to 20:00: 2 h tonight, 2 h from 07:00
    expect(sendingEstimate(drainMinutes({ email: 144_000, whatsapp: 0 }, { email: 10, whatsapp: 2.5 }), start, { ratesPerSecond: { email: 10, whatsapp: 2.5 }, timeZone: 'Asia/Jakarta', sendingHours: hours }, 'id', translator('id'), keys)).toBe(
      'Pada laju yang diatur (10 email dan 2,5 WhatsApp per detik), undangan ini perlu ±4 jam 0 menit pengiriman setelah pesan yang sudah antre; karena hanya dikirim dalam jam kirim 07:00–20:00, paling cepat selesai sekitar 2026-08-02 pukul 09:00.',
    );
  });

  it('and with agencies in several zones, when the last zone\'s share is done, on the default zone\'s clock', () => {
    const pace = { ratesPerSecond: { email: 10, whatsapp: 2.5 }, timeZone: 'Asia/Jakarta', sendingHours: hours, zoneShares: new Map([['Asia/Jakarta', 0.5], ['Asia/Jayapura', 0.5]]) };
    expect(sendingEstimate(240, start, pace, 'en', t, keys)).toContain('they are done around 2026-08-02 at 07:00 at the earliest.');
  });
});
