import { formatMinutes, numberFormat, type Translate } from '../platform/i18n.js';
import type { MessageKey } from '../platform/locales/id.js';
import type { Channel } from './outboxStore.js';

/** Sending hours (SENDING_HOURS, e.g. "07:00-20:00"): messages leave the outbox only between these
 * times of the recipient agency's local clock (its time zone, or TIMEZONE), so that an evening blast,
 * a retry or a scheduled reminder never wakes a respondent at night; what falls outside waits in the
 * outbox, queued, until the hours open again. Pure: no I/O. */

export interface SendingHours {
  /** minutes after local midnight: the first minute messages may leave, and the first they may not */
  fromMinute: number;
  toMinute: number;
}

export type SendingWindow = { open: true } | { open: false; opensAt: Date };

const HOURS_FORMAT = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$/;

/** "HH:MM-HH:MM" (24:00 allowed as the end); a message saying what is wrong otherwise. */
export function parseSendingHours(text: string): SendingHours | { problem: string } {
  const match = HOURS_FORMAT.exec(text.trim());
  if (!match) return { problem: 'must be HH:MM-HH:MM in 24-hour time, e.g. 07:00-20:00' };
  const fromMinute = Number(match[1]) * 60 + Number(match[2]);
  const toMinute = Number(match[3]) * 60 + Number(match[4]);
  if (toMinute > 24 * 60) return { problem: 'must end at 24:00 at the latest' };
  if (fromMinute >= toMinute) return { problem: 'must start before it ends, within one day (a window cannot span midnight)' };
  return { fromMinute, toMinute };
}

const clockTime = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** "07:00–20:00", for pages and logs. */
export function formatSendingHours(hours: SendingHours): string {
  return `${clockTime(hours.fromMinute)}–${clockTime(hours.toMinute)}`;
}

/** Whether messages may leave at this instant, and if not, when they may next. With no sending
 * hours configured, always. */
export function sendingWindow(instant: Date, timeZone: string, hours: SendingHours | undefined): SendingWindow {
  if (!hours) return { open: true };
  const minute = minuteOfDayIn(instant, timeZone);
  if (minute >= hours.fromMinute && minute < hours.toMinute) return { open: true };
  const wait = (hours.fromMinute - minute + 24 * 60) % (24 * 60);
  let opensAt = new Date(Math.floor(instant.getTime() / 60_000) * 60_000 + wait * 60_000);
  // a zone that moves its clocks in between (not Indonesia's): correct by what its clock then shows
  const drift = minuteOfDayIn(opensAt, timeZone) - hours.fromMinute;
  if (drift !== 0 && Math.abs(drift) <= 120) opensAt = new Date(opensAt.getTime() - drift * 60_000);
  return { open: false, opensAt };
}

/** The local time (HH:MM) and day (YYYY-MM-DD) of an instant in a time zone, for saying when the
 * hours open. */
export function localTimeIn(instant: Date, timeZone: string): { day: string; time: string } {
  const parts = partsIn(instant, timeZone);
  return { day: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

function minuteOfDayIn(instant: Date, timeZone: string): number {
  const parts = partsIn(instant, timeZone);
  return Number(parts.hour) * 60 + Number(parts.minute);
}

/** One formatter per time zone: building one costs about 0.1 ms (see platform/clock.ts). */
const formats = new Map<string, Intl.DateTimeFormat>();

function partsIn(instant: Date, timeZone: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute', string> {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formats.set(timeZone, format);
  }
  const parts = { year: '', month: '', day: '', hour: '', minute: '' };
  for (const part of format.formatToParts(instant)) if (part.type in parts) parts[part.type as keyof typeof parts] = part.value;
  return parts;
}

/** Sending hours across time zones: they hold in each agency's local clock (agencies.time_zone,
 * the server's TIMEZONE for an agency without one), so a blast that is still within the hours in
 * Jakarta does not reach Papua at night. `zones`: every zone messages may go to (sendingZones). */
export interface ZoneWindows {
  /** the zones whose hours are closed now, each with the instant they open again */
  closed: Map<string, Date>;
  /** every zone is closed: nothing may leave before this instant (the earliest opening) */
  heldUntil?: Date;
}

export function zoneWindows(instant: Date, zones: readonly string[], hours: SendingHours | undefined): ZoneWindows {
  const closed = new Map<string, Date>();
  if (!hours) return { closed };
  for (const zone of zones) {
    const window = sendingWindow(instant, zone, hours);
    if (!window.open) closed.set(zone, window.opensAt);
  }
  if (zones.length === 0 || closed.size < zones.length) return { closed };
  const heldUntil = new Date(Math.min(...[...closed.values()].map((opensAt) => opensAt.getTime())));
  return { closed, heldUntil };
}

/** The zones messages may go to: the agencies' own (null: the default zone), each once. */
export function sendingZones(agencyZones: readonly (string | null)[], defaultZone: string): string[] {
  return [...new Set(agencyZones.map((zone) => zone ?? defaultZone))].sort();
}

/** Indonesia's zones by the names people use: "WIT (Asia/Jayapura)"; other zones as they are. */
const ZONE_NAMES: Record<string, string> = { 'Asia/Jakarta': 'WIB', 'Asia/Pontianak': 'WIB', 'Asia/Makassar': 'WITA', 'Asia/Jayapura': 'WIT' };
export function zoneLabel(zone: string): string {
  return ZONE_NAMES[zone] ? `${ZONE_NAMES[zone]} (${zone})` : zone;
}

/** What pages and the CLI say while the hours are closed somewhere, undefined while messages may
 * leave everywhere. `everywhere`: with one zone, the hours and when they open in it (the sentence
 * since sending hours began); with several, when the first zone opens, in `timeZone` (the default
 * zone's clock). `somewhere`: the zones where messages wait now while the others' leave. */
export type SendingHeld =
  | { scope: 'zone' | 'everywhere'; hours: string; timeZone: string; day: string; time: string }
  | { scope: 'somewhere'; hours: string; zones: string };

export function sendingHeld(instant: Date, zones: readonly string[], defaultZone: string, hours: SendingHours | undefined): SendingHeld | undefined {
  const windows = zoneWindows(instant, zones, hours);
  if (windows.closed.size === 0) return undefined;
  const formatted = formatSendingHours(hours!);
  if (windows.heldUntil) {
    const timeZone = zones.length === 1 ? zones[0]! : defaultZone;
    return { scope: zones.length === 1 ? 'zone' : 'everywhere', hours: formatted, timeZone, ...localTimeIn(windows.heldUntil, timeZone) };
  }
  return { scope: 'somewhere', hours: formatted, zones: [...windows.closed.keys()].map(zoneLabel).join(', ') };
}

/** The locale key of the sentence for it (views/partials/sending-held.ejs). */
export function sendingHeldKey(held: SendingHeld): MessageKey {
  return held.scope === 'zone' ? 'sending.held' : held.scope === 'everywhere' ? 'sending.held_everywhere' : 'sending.held_somewhere';
}

/** The CLI's sentence for it. */
export function describeSendingHeld(held: SendingHeld): string {
  if (held.scope === 'somewhere') return `Outside the sending hours (${held.hours}, local time) in ${held.zones}: messages to agencies there wait until their hours open; the others leave.`;
  if (held.scope === 'everywhere') return `Outside the sending hours (${held.hours}, each agency's local time) everywhere: queued messages wait, and the first leave from ${held.day} ${held.time} (${held.timeZone}).`;
  return `Outside the sending hours (${held.hours}, ${held.timeZone}): queued messages leave from ${held.day} ${held.time}.`;
}

/** Minutes to send this many messages at the configured rates, the channels side by side, each at
 * its own rate; 0: under a minute. */
export function drainMinutes(messages: Record<Channel, number>, ratesPerSecond: Record<Channel, number>): number {
  const seconds = Math.max(messages.email / ratesPerSecond.email, messages.whatsapp / ratesPerSecond.whatsapp);
  return seconds < 60 ? 0 : Math.ceil(seconds / 60);
}

/** When `minutes` of sending that start at `start` are done, sending only within the hours: what
 * does not fit before today's closing goes on at the next opening. Without hours, start + minutes. */
export function sendingDoneAt(start: Date, minutes: number, timeZone: string, hours: SendingHours | undefined): Date {
  let left = minutes * 60_000;
  if (!hours) return new Date(start.getTime() + left);
  let at = start;
  // one turn per day of sending; a year's worth is far beyond any round
  for (let day = 0; day < 366; day++) {
    const window = sendingWindow(at, timeZone, hours);
    if (!window.open) at = window.opensAt;
    const openFor = (hours.toMinute - minuteOfDayIn(at, timeZone)) * 60_000 - (at.getTime() % 60_000);
    if (left <= openFor) return new Date(at.getTime() + left);
    left -= openFor;
    at = new Date(at.getTime() + openFor);
  }
  return at;
}

/** The first instant after `instant`, open in `timeZone`, at which the hours close there. */
function closingAfter(instant: Date, timeZone: string, hours: SendingHours): number {
  return instant.getTime() + (hours.toMinute - minuteOfDayIn(instant, timeZone)) * 60_000 - (instant.getTime() % 60_000);
}

/** When sending that starts at `start` is done if each zone's messages leave only within that
 * zone's own hours: `minutesByZone` is each zone's part of the drain (drainMinutes) at the full
 * configured rates. Zones open at the same time share the rates in proportion to what each has
 * left, as the dispatcher takes messages in queue order whatever their zone; so they drain together,
 * and what a zone has left at its closing waits for its next opening while the others go on. With
 * one zone this is sendingDoneAt. Only the zones messages go to belong in `minutesByZone` (zoneShares). */
export function sendingDoneInZones(start: Date, minutesByZone: ReadonlyMap<string, number>, hours: SendingHours | undefined): Date {
  // a zone given with no work still waits for its opening, as sendingDoneAt does with 0 minutes
  const left = new Map([...minutesByZone].map(([zone, minutes]) => [zone, Math.max(0, minutes) * 60_000]));
  let at = start.getTime();
  if (!hours) return new Date(at + [...left.values()].reduce((sum, work) => sum + work, 0));
  // each turn ends at an opening or a closing somewhere, a few per zone and day; a year is far beyond any round
  for (let turn = 0; left.size > 0 && turn < 366 * 4 * left.size; turn++) {
    const instant = new Date(at);
    const open: string[] = [];
    let openWork = 0;
    let nextChange = Infinity;
    for (const [zone, work] of left) {
      const window = sendingWindow(instant, zone, hours);
      if (window.open) {
        open.push(zone);
        openWork += work;
        nextChange = Math.min(nextChange, closingAfter(instant, zone, hours));
      } else nextChange = Math.min(nextChange, window.opensAt.getTime());
    }
    if (open.length > 0 && openWork <= nextChange - at) {
      at += openWork;
      for (const zone of open) left.delete(zone);
      continue;
    }
    const share = openWork > 0 ? (nextChange - at) / openWork : 0;
    for (const zone of open) left.set(zone, left.get(zone)! * (1 - share));
    at = nextChange;
  }
  return new Date(at);
}

/** Each zone's share (0..1) of the messages to send, from message counts by agency zone (null: the
 * default zone); undefined when there is nothing to share. */
export function zoneShares(countsByZone: Iterable<readonly [string | null, number]>, defaultZone: string): Map<string, number> | undefined {
  const counts = new Map<string, number>();
  for (const [zone, count] of countsByZone) if (count > 0) counts.set(zone ?? defaultZone, (counts.get(zone ?? defaultZone) ?? 0) + count);
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  if (total === 0) return undefined;
  return new Map([...counts].map(([zone, count]) => [zone, count / total]));
}

/** For pages and the CLI: with sending hours, the hours and the local day and time (in `timeZone`)
 * when `minutes` of sending from `start` are done: sendingDoneAt in `timeZone`, or with `shares`
 * (zoneShares) sendingDoneInZones, each zone's part within its own hours. Without hours, undefined. */
export function sendingFinish(
  start: Date,
  minutes: number,
  timeZone: string,
  hours: SendingHours | undefined,
  shares?: ReadonlyMap<string, number>,
): { hours: string; day: string; time: string } | undefined {
  if (!hours) return undefined;
  const done = shares ? sendingDoneInZones(start, new Map([...shares].map(([zone, share]) => [zone, minutes * share])), hours) : sendingDoneAt(start, minutes, timeZone, hours);
  return { hours: formatSendingHours(hours), ...localTimeIn(done, timeZone) };
}

/** How fast the outbox drains: the channels' configured rates, and the sending hours if any. */
export interface SendingPace {
  ratesPerSecond: Record<Channel, number>;
  timeZone: string;
  sendingHours?: SendingHours;
  /** the messages' shares by agency zone (zoneShares), when they go to several; else all leave within `timeZone`'s hours */
  zoneShares?: ReadonlyMap<string, number>;
}

/** The sentence that says how long `minutes` of sending (drainMinutes) take at the configured
 * rates and, with sending hours, when they are done: before a confirmation, and under the
 * dashboard's progress. `keys`: the page's sentence without hours and with them (placeholders eta,
 * emailRate, whatsappRate; and hours, day, time); `values`: the page's own placeholders. */
export function sendingEstimate(
  minutes: number,
  start: Date,
  pace: SendingPace,
  language: string,
  t: Translate,
  keys: { plain: MessageKey; withHours: MessageKey },
  values: Record<string, string | number> = {},
): string {
  const rate = numberFormat(language, { maximumFractionDigits: 2 });
  const all = { ...values, eta: formatMinutes(minutes, t), emailRate: rate.format(pace.ratesPerSecond.email), whatsappRate: rate.format(pace.ratesPerSecond.whatsapp) };
  const finish = sendingFinish(start, minutes, pace.timeZone, pace.sendingHours, pace.zoneShares);
  return finish ? t(keys.withHours, { ...all, ...finish }) : t(keys.plain, all);
}
