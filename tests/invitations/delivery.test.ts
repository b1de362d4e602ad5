import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { smtpEmailChannel } from '../../server/invitations/channels/email.js';
import { createDispatcher } from '../../server/invitations/delivery.js';
import type { Dispatcher } from '../../server/invitations/dispatcher.js';
import { applyReminderSchedules, invitationStatus, queueInvitations, queueReminders, scheduledReminders } from '../../server/invitations/sending.js';
import { createLogger } from '../../server/platform/logger.js';
import { submitQuestionnaire } from '../../server/answering/service.js';
import { FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, startFakeTwilio, type FakeTwilio } from '../support/fakeTwilio.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { completeInternalAnswers, createWorld, signInStaff, type World } from '../helpers.js';
import { addStaff } from '../../server/staff/service.js';
import { testSurvey } from '../fixtures/survey.js';
import { queueMessage, type ClaimedMessage } from '../../server/invitations/outboxStore.js';

let world: World;
let smtp: TestSmtpServer;
let twilioFake: FakeTwilio;
let dispatcher: Dispatcher;

async function setUp(options: { env?: Record<string, string>; beforeCompose?: (message: ClaimedMessage) => void; survey?: ReturnType<typeof testSurvey> } = {}) {
  smtp = await startSmtpServer();
  twilioFake = await startFakeTwilio();
  world = await createWorld({
    survey: options.survey,
    env: {
      SMTP_URL: smtp.url,
      TWILIO_ACCOUNT_SID: FAKE_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: FAKE_AUTH_TOKEN,
      TWILIO_WHATSAPP_FROM: '+14155238886',
      TWILIO_CONTENT_SID_INVITE: 'HX0000000000000000000000000000invite',
      TWILIO_CONTENT_SID_REMINDER: 'HX000000000000000000000000000remind',
      EMAIL_RATE_PER_SEC: '100',
      WHATSAPP_RATE_PER_SEC: '100',
      ...options.env,
    },
  });
  dispatcher = createDispatcher(
    world.config,
    { db: world.db, clock: world.clock, logger: createLogger('silent'), secretKey: world.secretKey },
    {
      twilioClientOptions: { httpClient: twilioFake.httpClient },
      // waiting moves the test's clock instead of sleeping
      sleep: async (milliseconds) => world.clock.advance(milliseconds),
      random: () => 0.5,
      beforeCompose: options.beforeCompose,
    },
  );
}

afterEach(async () => {
  await dispatcher?.stop();
  await smtp?.close();
  await twilioFake?.close();
  world?.cleanup();
});

const messages = () =>
  world.db
    .prepare(
      `SELECT r.name, m.channel, m.kind, m.state, m.attempts, m.error_code AS errorCode, m.provider_id AS providerId, m.provider_status AS providerStatus, m.next_attempt_at AS nextAttemptAt
         FROM messages m JOIN invitations i ON i.id = m.invitation_id JOIN respondents r ON r.id = i.respondent_id ORDER BY m.id`,
    )
    .all() as { name: string; channel: string; kind: string; state: string; attempts: number; errorCode: string | null; providerId: string | null; providerStatus: string | null; nextAttemptAt: number }[];
const mailTo = (address: string) => smtp.received.filter((mail) => mail.envelopeTo.includes(address));
const budiInvitation = () => world.db.prepare(`SELECT i.id FROM invitations i JOIN respondents r ON r.id = i.respondent_id WHERE r.name = 'Budi'`).pluck().get() as number;
const linkOf = (name: string) => `http://integritas.test/r/${world.tokens.get(name)}`;

describe('email through a real SMTP server', () => {
  beforeEach(() => setUp());

  it('sends each invitation once, in the respondent language, with link, closing date, confidentiality and one-click unsubscribe', async () => {
    const queued = await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email' }, true);
    expect(queued).toMatchObject({ queued: { email: 6, whatsapp: 0 }, alreadyInvited: 0, skipped: { noContactForChannel: 1, optedOut: 0, completed: 0 } });
    expect((await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email' }, true)).queued).toEqual({ email: 0, whatsapp: 0 });

    expect(await dispatcher.runOnce()).toEqual({ sent: 6, retried: 0, failed: 0, cancelled: 0 });
    expect(smtp.received).toHaveLength(6);
    const [budi] = mailTo('budi@example.id');
    expect(budi!.parsed.subject).toBe('Invitation to the Integrity Assessment Survey: Provinsi A');
    expect(budi!.parsed.text).toContain(linkOf('Budi'));
    expect(budi!.parsed.text).toContain('The survey is open until 31 December 2026.');
    expect(budi!.parsed.text).toContain('Your answers are confidential');
    expect(budi!.parsed.html).toContain(`href="${linkOf('Budi')}"`);
    const headerLines = budi!.parsed.headerLines.map((header) => header.line.replace(/\r?\n\s+/g, ' '));
    expect(headerLines).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(headerLines).toContain(`List-Unsubscribe: <${linkOf('Budi')}/opt-out>`);
    const [ani] = mailTo('ani@example.id');
    expect(ani!.parsed.subject).toBe('Undangan Survei Penilaian Integritas: Provinsi A');
    expect(ani!.parsed.text).toContain('Yth. Ani,');
    expect(ani!.parsed.text).toContain('Survei dapat diisi sampai 31 Desember 2026.');
    expect(ani!.parsed.text).not.toContain(linkOf('Budi'));
    expect(messages().every((message) => message.state === 'sent' && message.attempts === 1)).toBe(true);
    // running again sends nothing: a provider that answered is never asked again
    await dispatcher.runOnce();
    expect(smtp.received).toHaveLength(6);
  });

  it('the SMTP channel pools its connections as configured, and a closed port is a transient failure', async () => {
    const channel = smtpEmailChannel(smtp.url, 'survei@integritas.test', 2);
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, index) => channel.send({ to: `p${index}@example.id`, subject: 'S', text: 'T', html: '<p>T</p>', headers: {} })));
    channel.close();
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(12).fill('sent'));
    expect(smtp.received.map((mail) => mail.envelopeTo[0]).sort()).toEqual(Array.from({ length: 12 }, (_, index) => `p${index}@example.id`).sort());
    // 12 messages over at most 2 connections (nodemailer ignored pool options given with a URL: it was 12)
    expect(smtp.connections).toBeLessThanOrEqual(2);
    const closed = smtpEmailChannel('smtp://127.0.0.1:1', 'survei@integritas.test', 1);
    expect(await closed.send({ to: 'x@example.id', subject: 'S', text: 'T', html: '<p>T</p>', headers: {} })).toMatchObject({ status: 'retry', errorCode: 'ECONNREFUSED' });
    closed.close();
  });

  it('a recipient refused with 550 bounces alone; one refused with 421 is retried later and then delivered', async () => {
    let temporaryFailures = 1;
    smtp.rejectRecipient = (address) => {
      if (address === 'cici@example.id') return { code: 550, message: 'No such user here' };
      if (address === 'dodi@example.id' && temporaryFailures-- > 0) return { code: 421, message: 'Try again later' };
      return null;
    };
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email' }, true);
    expect(await dispatcher.runOnce()).toEqual({ sent: 4, retried: 1, failed: 1, cancelled: 0 });
    const byName = Object.fromEntries(messages().map((message) => [message.name, message]));
    expect(byName.Cici).toMatchObject({ state: 'bounced', errorCode: '550' });
    expect(byName.Dodi).toMatchObject({ state: 'queued', attempts: 1, errorCode: '421' });
    // backoff: the first retry waits 30 s scaled by jitter (0.75 with random 0.5)
    expect(byName.Dodi!.nextAttemptAt - world.clock.now().getTime()).toBe(22_500);
    await dispatcher.runOnce();
    expect(mailTo('dodi@example.id')).toHaveLength(0);
    world.clock.advance(23_000);
    await dispatcher.runOnce();
    expect(mailTo('dodi@example.id')).toHaveLength(1);
    expect(messages().find((message) => message.name === 'Dodi')).toMatchObject({ state: 'sent', attempts: 2 });
    expect(mailTo('cici@example.id')).toHaveLength(0);
  });

  it('a bounced address corrected by an administrator: the same link goes to the new address, every attempt kept', async () => {
    smtp.rejectRecipient = (address) => (address === 'cici@example.id' ? { code: 550, message: 'No such user here' } : null);
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email' }, true);
    await dispatcher.runOnce();
    expect(messages().find((message) => message.name === 'Cici')).toMatchObject({ state: 'bounced', errorCode: '550' });
    await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
    const { agent, csrf } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const cici = world.db.prepare(`SELECT id FROM respondents WHERE name = 'Cici'`).pluck().get() as number;
    const form = await agent.get(`/staff/monitoring/SPI-TEST/agencies/PROV-A/respondents/${cici}/contact`).expect(200);
    expect(form.text).toContain('No such user here');
    await agent.post(`/staff/monitoring/SPI-TEST/agencies/PROV-A/respondents/${cici}/contact`).type('form').send({ _csrf: csrf, email: 'cici.benar@example.id' }).expect(303);
    expect(await dispatcher.runOnce()).toEqual({ sent: 1, retried: 0, failed: 0, cancelled: 0 });
    const [mail] = mailTo('cici.benar@example.id');
    // the first link reached no one, so it is still the respondent's link
    expect(mail!.parsed.text).toContain(linkOf('Cici'));
    expect(mailTo('cici@example.id')).toHaveLength(0);
    expect(messages().filter((message) => message.name === 'Cici')).toMatchObject([{ channel: 'email', kind: 'invitation', state: 'sent', attempts: 1 }]);
    const attempts = world.db
      .prepare(`SELECT a.outcome FROM delivery_attempts a JOIN messages m ON m.id = a.message_id JOIN invitations i ON i.id = m.invitation_id JOIN respondents r ON r.id = i.respondent_id WHERE r.name = 'Cici' ORDER BY a.id`)
      .pluck()
      .all();
    expect(attempts).toEqual(['bounced', 'sent']);
  });

  it('a survey can carry its own subject and body, with placeholders filled', async () => {
    await dispatcher.stop();
    await smtp.close();
    await twilioFake.close();
    world.cleanup();
    await setUp({
      survey: testSurvey({
        messages: { invitation: { subject: { id: 'Survei {agency}', en: 'Survey of {agency}' }, body: { id: 'Halo {name},\n\nSilakan isi: {link}\n\nSampai {closes}.', en: 'Hello {name},\n\nPlease answer: {link}\n\nUntil {closes}.' } } },
      }),
    });
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email', agencyCode: 'PROV-A' }, true);
    await dispatcher.runOnce();
    const [budi] = mailTo('budi@example.id');
    expect(budi!.parsed.subject).toBe('Survey of Provinsi A');
    expect(budi!.parsed.text).toContain(`Hello Budi,\n\nPlease answer: ${linkOf('Budi')}\n\nUntil 31 December 2026.`);
    expect(budi!.parsed.html).toContain(`<a href="${linkOf('Budi')}">`);
    expect(budi!.parsed.text).toContain(`${linkOf('Budi')}/opt-out`);
    expect(mailTo('ani@example.id')[0]!.parsed.subject).toBe('Survei Provinsi A');
  });

  it('a message that cannot be composed fails alone; the others go out', async () => {
    await dispatcher.stop();
    await smtp.close();
    await twilioFake.close();
    world.cleanup();
    let poisoned = -1;
    await setUp({ beforeCompose: (message) => {
      if (message.invitationId === poisoned) throw new Error('template exploded');
    } });
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email' }, true);
    poisoned = world.db.prepare(`SELECT i.id FROM invitations i JOIN respondents r ON r.id = i.respondent_id WHERE r.name = 'Eka'`).pluck().get() as number;
    expect(await dispatcher.runOnce()).toEqual({ sent: 5, retried: 0, failed: 1, cancelled: 0 });
    expect(messages().find((message) => message.name === 'Eka')).toMatchObject({ state: 'failed', errorCode: 'compose' });
  });
});

describe('WhatsApp through the real twilio library and a fake Messages API', () => {
  beforeEach(() => setUp());

  it('sends approved templates with the variables and a status callback; phone respondents go by WhatsApp automatically', async () => {
    const queued = await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST' }, true);
    expect(queued.queued).toEqual({ email: 5, whatsapp: 2 });
    await dispatcher.runOnce();
    expect(twilioFake.accepted).toHaveLength(2);
    const toBudi = twilioFake.accepted.find((message) => message.to === 'whatsapp:+6281234567001')!;
    expect(toBudi).toMatchObject({
      from: 'whatsapp:+14155238886',
      contentSid: 'HX0000000000000000000000000000invite',
      statusCallback: 'http://integritas.test/webhooks/twilio/status',
      contentVariables: { '1': 'Budi', '2': 'Provinsi A', '3': linkOf('Budi'), '4': '31 December 2026' },
    });
    expect(messages().find((message) => message.name === 'Budi' && message.channel === 'whatsapp')).toMatchObject({ state: 'sent', providerId: toBudi.sid });
  });

  it('429 is retried and then succeeds; an invalid number fails at once and falls back to email', async () => {
    twilioFake.rateLimitNext = 1;
    twilioFake.invalidNumbers.add('+6281234567002'); // Fajar: no email to fall back to
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'whatsapp' }, true);
    await dispatcher.runOnce();
    const after = () => Object.fromEntries(messages().map((message) => [`${message.name}/${message.channel}`, message]));
    expect(after()['Fajar/whatsapp']).toMatchObject({ state: 'failed', errorCode: '21211' });
    expect(after()['Budi/whatsapp']).toMatchObject({ state: 'queued', errorCode: '20429', attempts: 1 });
    world.clock.advance(60_000);
    await dispatcher.runOnce();
    expect(after()['Budi/whatsapp']).toMatchObject({ state: 'sent', attempts: 2 });

    twilioFake.invalidNumbers.add('+6281234567001');
    world.db.prepare(`UPDATE messages SET state = 'queued', next_attempt_at = 0, provider_id = NULL WHERE channel = 'whatsapp'`).run();
    const fajarBefore = twilioFake.requests;
    await dispatcher.runOnce();
    expect(twilioFake.requests).toBeGreaterThan(fajarBefore);
    expect(after()['Budi/whatsapp']).toMatchObject({ state: 'failed', errorCode: '21211' });
    expect(after()['Budi/email']).toMatchObject({ state: 'sent', kind: 'invitation' });
    expect(mailTo('budi@example.id')).toHaveLength(1);
  });

  it('a number that is not a valid mobile number never reaches Twilio', async () => {
    world.db.prepare(`UPDATE respondents SET phone = '+62123' WHERE name = 'Fajar'`).run();
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'whatsapp' }, true);
    await dispatcher.runOnce();
    expect(twilioFake.accepted.map((message) => message.to)).toEqual(['whatsapp:+6281234567001']);
    expect(twilioFake.requests).toBe(1);
    expect(messages().find((message) => message.name === 'Fajar')).toMatchObject({ state: 'failed', errorCode: 'compose' });
  });

  it('signed status callbacks move a message forward only; a bad signature is refused and changes nothing', async () => {
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'whatsapp' }, true);
    await dispatcher.runOnce();
    const sent = twilioFake.accepted.find((message) => message.to === 'whatsapp:+6281234567001')!;
    const post = (callback: ReturnType<FakeTwilio['statusCallback']>, signature = callback.signature) =>
      request(world.app).post('/webhooks/twilio/status').set('X-Twilio-Signature', signature).type('form').send(callback.params);
    const state = () => messages().find((message) => message.providerId === sent.sid)!;

    await post(twilioFake.statusCallback(sent, 'delivered'), 'bm90IHRoZSBzaWduYXR1cmU=').expect(403);
    await request(world.app).post('/webhooks/twilio/status').type('form').send(twilioFake.statusCallback(sent, 'delivered').params).expect(403);
    expect(state()).toMatchObject({ state: 'sent', providerStatus: null });

    await post(twilioFake.statusCallback(sent, 'delivered')).expect(200);
    expect(state()).toMatchObject({ state: 'delivered', providerStatus: 'delivered' });
    await post(twilioFake.statusCallback(sent, 'sent')).expect(200); // late and out of order
    expect(state()).toMatchObject({ state: 'delivered', providerStatus: 'delivered' });
    await post(twilioFake.statusCallback(sent, 'read')).expect(200);
    expect(state()).toMatchObject({ state: 'delivered', providerStatus: 'read' });
    // tampering with a signed field breaks the signature
    const tampered = twilioFake.statusCallback(sent, 'failed');
    await post({ ...tampered, params: { ...tampered.params, MessageStatus: 'undelivered' } }).expect(403);
  });

  it('an undelivered callback fails the message and falls back to email', async () => {
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'whatsapp' }, true);
    await dispatcher.runOnce();
    const sent = twilioFake.accepted.find((message) => message.to === 'whatsapp:+6281234567001')!;
    const callback = twilioFake.statusCallback(sent, 'undelivered', { ErrorCode: '63024' });
    await request(world.app).post('/webhooks/twilio/status').set('X-Twilio-Signature', callback.signature).type('form').send(callback.params).expect(200);
    expect(messages().find((message) => message.providerId === sent.sid)).toMatchObject({ state: 'failed', errorCode: '63024' });
    await dispatcher.runOnce();
    expect(mailTo('budi@example.id')).toHaveLength(1);
  });

  it('a STOP reply opts the sender out of every channel', async () => {
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'whatsapp' }, true);
    await dispatcher.runOnce();
    const params = { From: 'whatsapp:+6281234567001', To: 'whatsapp:+14155238886', Body: ' Berhenti ', AccountSid: FAKE_ACCOUNT_SID, MessageSid: 'SMinbound' };
    const url = 'http://integritas.test/webhooks/twilio/inbound';
    await request(world.app).post('/webhooks/twilio/inbound').type('form').send(params).expect(403);
    const reply = await request(world.app).post('/webhooks/twilio/inbound').set('X-Twilio-Signature', twilioFake.signature(url, params)).type('form').send(params).expect(200);
    expect(reply.text).toContain('<Response></Response>');
    expect(world.db.prepare(`SELECT r.name FROM invitations i JOIN respondents r ON r.id = i.respondent_id WHERE i.opted_out_at IS NOT NULL`).pluck().all()).toEqual(['Budi']);
    world.clock.advance(5 * 24 * 3600 * 1000);
    expect((await queueReminders(world.db, world.clock, { surveyCode: 'SPI-TEST', minDays: 3, max: 3 })).queued).toBe(1); // Fajar only
    // whatever is queued for him later is cancelled, not sent
    queueMessage(world.db, { invitationId: budiInvitation(), channel: 'email', kind: 'reminder' }, world.clock.now().getTime(), world.clock.now().toISOString());
    await dispatcher.runOnce();
    expect(mailTo('budi@example.id')).toHaveLength(0);
    expect(messages().filter((message) => message.name === 'Budi').map((message) => message.state)).toEqual(['sent', 'cancelled']);
  });
});

describe('who gets reminders', () => {
  beforeEach(() => setUp());

  it('only invited, unanswered, not opted-out respondents, after min-days, at most max', async () => {
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email' }, true);
    await dispatcher.runOnce();
    submitQuestionnaire({ db: world.db, clock: world.clock, timeZone: 'Asia/Jakarta' }, world.tokens.get('Ani')!, completeInternalAnswers());
    await request(world.app).post(`/r/${world.tokens.get('Cici')!}/opt-out`).expect(200);

    expect((await queueReminders(world.db, world.clock, { surveyCode: 'SPI-TEST', minDays: 3, max: 2 })).queued).toBe(0); // too soon
    world.clock.advance(3 * 24 * 3600 * 1000);
    expect((await queueReminders(world.db, world.clock, { surveyCode: 'SPI-TEST', minDays: 3, max: 2 })).queued).toBe(4); // Budi, Dodi, Eka, Gita
    expect((await queueReminders(world.db, world.clock, { surveyCode: 'SPI-TEST', minDays: 3, max: 2 })).queued).toBe(0); // pending already
    await dispatcher.runOnce();
    const reminder = mailTo('dodi@example.id')[1]!;
    expect(reminder.parsed.subject).toBe('Pengingat: Survei Penilaian Integritas Provinsi A');
    expect(reminder.parsed.text).toContain(linkOf('Dodi'));
    world.clock.advance(3 * 24 * 3600 * 1000);
    expect((await queueReminders(world.db, world.clock, { surveyCode: 'SPI-TEST', minDays: 3, max: 2 })).queued).toBe(4);
    await dispatcher.runOnce();
    world.clock.advance(3 * 24 * 3600 * 1000);
    expect((await queueReminders(world.db, world.clock, { surveyCode: 'SPI-TEST', minDays: 3, max: 2 })).queued).toBe(0); // max reached
    expect(mailTo('ani@example.id')).toHaveLength(1);
    expect(mailTo('cici@example.id')).toHaveLength(1);
  });

  it('a reminder queued before the respondent answered is cancelled, not sent', async () => {
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email', agencyCode: 'KOTA-B' }, true);
    await dispatcher.runOnce();
    world.clock.advance(4 * 24 * 3600 * 1000);
    await queueReminders(world.db, world.clock, { surveyCode: 'SPI-TEST', minDays: 3, max: 3 });
    submitQuestionnaire({ db: world.db, clock: world.clock, timeZone: 'Asia/Jakarta' }, world.tokens.get('Gita')!, { I_TR_1: '1', I_TR_2: '1', I_GATE: 'no', I_YEARS: 2 });
    expect(await dispatcher.runOnce()).toMatchObject({ sent: 0, cancelled: 1 });
    expect(mailTo('gita@example.id')).toHaveLength(1);
  });

  it('a message the dispatcher finds for a withdrawn respondent is cancelled, not sent', async () => {
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email', agencyCode: 'KOTA-B' }, true);
    // withdrawn in the database with its message still queued, as when the dispatcher claims it in the same instant
    world.db.prepare(`UPDATE invitations SET withdrawn_at = ?, withdrawn_reason = 'Mutasi' WHERE respondent_id = (SELECT id FROM respondents WHERE name = 'Gita')`).run(world.clock.now().toISOString());
    expect(await dispatcher.runOnce()).toMatchObject({ sent: 0, cancelled: 1 });
    expect(mailTo('gita@example.id')).toHaveLength(0);
    expect(world.db.prepare(`SELECT state, last_error FROM messages`).get()).toEqual({ state: 'cancelled', last_error: 'the respondent was withdrawn from the sample' });
  });
});

describe('the automatic reminder schedule', () => {
  it('queues reminder k on day afterDays[k] after the invitation went out', async () => {
    await setUp({ survey: testSurvey({ reminderSchedule: { afterDays: [2, 5] } }) });
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email', agencyCode: 'KOTA-B' }, true);
    await dispatcher.runOnce();
    world.clock.advance(1 * 24 * 3600 * 1000);
    expect(await applyReminderSchedules(world.db, world.clock)).toBe(0);
    world.clock.advance(1 * 24 * 3600 * 1000 + 1000);
    expect(await applyReminderSchedules(world.db, world.clock)).toBe(1);
    await dispatcher.runOnce();
    world.clock.advance(2 * 24 * 3600 * 1000);
    expect(await applyReminderSchedules(world.db, world.clock)).toBe(0);
    world.clock.advance(1 * 24 * 3600 * 1000);
    expect(await applyReminderSchedules(world.db, world.clock)).toBe(1);
    await dispatcher.runOnce();
    world.clock.advance(30 * 24 * 3600 * 1000);
    expect(await applyReminderSchedules(world.db, world.clock)).toBe(0);
    expect(mailTo('gita@example.id')).toHaveLength(3);
  });
});

describe('the reminder schedule in the dispatcher', () => {
  it('is applied at most once a minute by the clock', async () => {
    await setUp({ survey: testSurvey({ reminderSchedule: { afterDays: [2] } }) });
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email', agencyCode: 'KOTA-B' }, true); // Gita
    await dispatcher.runOnce();
    const reminders = () => world.db.prepare(`SELECT COUNT(*) FROM messages WHERE kind = 'reminder'`).pluck().get() as number;
    let reported = 0;
    const tick = scheduledReminders(world.db, world.clock, (queued) => (reported += queued));
    await tick(); // nothing due yet
    // now it is due, but the last look was less than a minute ago
    const threeDaysAgo = new Date(world.clock.now().getTime() - 3 * 24 * 3600 * 1000).toISOString();
    world.db.prepare(`UPDATE messages SET sent_at = ?`).run(threeDaysAgo);
    world.clock.advance(59_999);
    await tick();
    expect(reminders()).toBe(0);
    world.clock.advance(1);
    await tick();
    expect(reminders()).toBe(1);
    expect(reported).toBe(1);
  });
});

describe('opt-out link', () => {
  beforeEach(() => setUp());

  it('GET asks in the respondent language and changes nothing; POST (or one-click) opts out of every channel', async () => {
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST' }, true);
    const page = await request(world.app).get(`/r/${world.tokens.get('Budi')!}/opt-out`).expect(200);
    expect(page.text).toContain('Stop receiving messages?');
    expect(world.db.prepare('SELECT COUNT(*) FROM invitations WHERE opted_out_at IS NOT NULL').pluck().get()).toBe(0);
    const done = await request(world.app).post(`/r/${world.tokens.get('Budi')!}/opt-out`).type('form').send('List-Unsubscribe=One-Click').expect(200);
    expect(done.text).toContain('You will receive no more messages');
    await request(world.app).post(`/r/${world.tokens.get('Ani')!}/opt-out`).expect(200);
    expect(await dispatcher.runOnce()).toMatchObject({ sent: 5, cancelled: 0 });
    expect(messages().filter((message) => message.state === 'cancelled').map((message) => message.name).sort()).toEqual(['Ani', 'Budi']);
    expect(twilioFake.accepted.map((message) => message.to)).toEqual(['whatsapp:+6281234567002']);
    await request(world.app).get(`/r/${'Q'.repeat(24)}/opt-out`).expect(404);
  });
});

describe('delivery counts', () => {
  beforeEach(() => setUp());

  it('per agency and group: respondents, delivery states, opt-outs, opened, started, completed', async () => {
    smtp.rejectRecipient = (address) => (address === 'eka@example.id' ? { code: 550, message: 'unknown user' } : null);
    twilioFake.invalidNumbers.add('+6281234567002');
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A' }, true);
    await dispatcher.runOnce();
    const budiSid = twilioFake.accepted.find((message) => message.to === 'whatsapp:+6281234567001')!;
    const delivered = twilioFake.statusCallback(budiSid, 'delivered');
    await request(world.app).post('/webhooks/twilio/status').set('X-Twilio-Signature', delivered.signature).type('form').send(delivered.params).expect(200);
    await request(world.app).get(`/api/v1/respond/${world.tokens.get('Cici')!}`).expect(200);
    await request(world.app).put(`/api/v1/respond/${world.tokens.get('Dodi')!}/answers`).send({ answers: { I_TR_1: '1' } }).expect(200);
    submitQuestionnaire({ db: world.db, clock: world.clock, timeZone: 'Asia/Jakarta' }, world.tokens.get('Ani')!, completeInternalAnswers());
    await request(world.app).post(`/r/${world.tokens.get('Dodi')!}/opt-out`).expect(200);
    expect(invitationStatus(world.db, 'SPI-TEST')).toEqual([
      { agency: 'KOTA-B', group: 'internal', respondents: 1, queued: 0, sent: 0, delivered: 0, failed: 0, bounced: 0, optedOut: 0, opened: 0, started: 0, completed: 0 },
      { agency: 'PROV-A', group: 'external', respondents: 1, queued: 0, sent: 0, delivered: 0, failed: 1, bounced: 0, optedOut: 0, opened: 0, started: 0, completed: 0 },
      { agency: 'PROV-A', group: 'internal', respondents: 5, queued: 0, sent: 3, delivered: 1, failed: 0, bounced: 1, optedOut: 1, opened: 3, started: 2, completed: 1 },
    ]);
  });
});

describe('rate limits', () => {
  it('with a rate of R per second no one-second window holds more than R attempts, across a restart too', async () => {
    await setUp({ env: { EMAIL_RATE_PER_SEC: '5', EMAIL_CONCURRENCY: '3' } });
    const rows = Array.from({ length: 30 }, (_, index) => `KOTA-B,internal,Extra ${index},extra${index}@example.id,,,`).join('\n');
    const { importRespondents } = await import('../../server/respondents/service.js');
    await importRespondents(world.db, world.clock, world.secretKey, 'SPI-TEST', Buffer.from(`agency_code,group,name,email,phone,unit,language\n${rows}\n`));
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email', agencyCode: 'PROV-A' }, true); // 5 messages
    const started = world.clock.now().getTime();
    await dispatcher.runOnce();
    // a restart: a new dispatcher knows the attempts of the old one from the database
    await dispatcher.stop();
    dispatcher = createDispatcher(
      world.config,
      { db: world.db, clock: world.clock, logger: createLogger('silent'), secretKey: world.secretKey },
      { sleep: async (milliseconds) => world.clock.advance(milliseconds), random: () => 0.5 },
    );
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email' }, true); // 31 more
    await dispatcher.runOnce();
    expect(smtp.received).toHaveLength(36);
    const attempts = world.db.prepare('SELECT attempted_at FROM delivery_attempts ORDER BY attempted_at').pluck().all() as number[];
    expect(attempts).toHaveLength(36);
    const busiest = Math.max(...attempts.map((end) => attempts.filter((time) => time > end - 1000 && time <= end).length));
    expect(busiest).toBe(5);
    // and the limit is what paced it: 36 messages at 5 per second take at least 7 seconds
    expect(attempts[attempts.length - 1]! - started).toBeGreaterThanOrEqual(7000);
  });
});

describe('sending hours', () => {
  it('outside them nothing is claimed; messages wait queued and leave when the hours open', async () => {
    await setUp({ env: { SENDING_HOURS: '07:00-20:00' } });
    world.clock.set('2026-08-01T14:30:00Z'); // 21:30 in Jakarta
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email' }, true);
    expect(await dispatcher.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0, cancelled: 0, heldUntil: new Date('2026-08-02T00:00:00Z') });
    expect(smtp.received).toHaveLength(0);
    expect(messages().map((message) => [message.state, message.attempts])).toEqual(Array(6).fill(['queued', 0]));
    // the dashboard counts the wait from the opening, and does not call a held outbox stalled
    await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
    const { agent } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    world.clock.advance(10 * 60 * 1000);
    const night = (await agent.get('/staff/monitoring/SPI-TEST').expect(200)).text;
    expect(night).toContain('kurang dari semenit pengiriman pada laju yang diatur (100 email dan 100 WhatsApp per detik), hanya dalam jam kirim 07:00–20:00, jadi selesai sekitar 2026-08-02 pukul 07:00.');
    expect(night).not.toContain('Belum ada pesan yang pernah keluar');
    world.clock.set('2026-08-01T23:59:59Z');
    expect((await dispatcher.runOnce()).sent).toBe(0);
    world.clock.set('2026-08-02T00:00:00Z'); // 07:00
    expect(await dispatcher.runOnce()).toEqual({ sent: 6, retried: 0, failed: 0, cancelled: 0 });
    expect(smtp.received).toHaveLength(6);
  });

  it('hours that close during a drain stop it: what was claimed goes, the rest waits for the morning', async () => {
    await setUp({ env: { SENDING_HOURS: '07:00-20:00', EMAIL_RATE_PER_SEC: '2', EMAIL_CONCURRENCY: '2' } });
    world.clock.set('2026-08-01T12:59:58Z'); // 19:59:58: two seconds at two a second
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email' }, true);
    const evening = await dispatcher.runOnce();
    expect(evening.sent).toBe(4);
    expect(messages().filter((message) => message.state === 'queued')).toHaveLength(2);
    world.clock.set('2026-08-02T00:00:00Z');
    expect((await dispatcher.runOnce()).sent).toBe(2);
    expect(smtp.received).toHaveLength(6);
  });

  it("hold in each agency's own time zone: the east waits while the west sends, then leaves at its own morning", async () => {
    await setUp({ env: { SENDING_HOURS: '07:00-20:00' } });
    const { importAgencies } = await import('../../server/agencies/service.js');
    // Kota B is in Papua (WIT, UTC+9); Provinsi A keeps the server's zone (Asia/Jakarta, UTC+7)
    const report = await importAgencies(world.db, world.clock, Buffer.from('code,name,kind,parent_code,time_zone\nKOTA-B,Kota B,city,PROV-A,wit\n'));
    expect(report).toMatchObject({ updated: 1, rejected: 0 });
    await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
    const { agent } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');

    world.clock.set('2026-08-01T12:30:00Z'); // 19:30 in Jakarta, 21:30 in Jayapura
    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email' }, true);
    expect(await dispatcher.runOnce()).toEqual({ sent: 5, retried: 0, failed: 0, cancelled: 0 });
    expect(smtp.received.flatMap((mail) => mail.envelopeTo)).not.toContain('gita@example.id');
    // Gita's invitation waits, due at 07:00 WIT, and the deferral was not an attempt
    const gita = messages().find((message) => message.name === 'Gita')!;
    expect(gita).toMatchObject({ state: 'queued', attempts: 0, nextAttemptAt: Date.parse('2026-08-01T22:00:00Z') });
    expect(world.db.prepare('SELECT COUNT(*) FROM delivery_attempts').pluck().get()).toBe(5);
    // the pages say where messages wait; Kota B's own page speaks of its zone
    expect((await agent.get('/staff/monitoring/SPI-TEST').expect(200)).text).toContain(
      'Di luar jam kirim (07:00–20:00 waktu setempat) di WIT (Asia/Jayapura): pesan untuk instansi di sana menunggu sampai jam kirimnya dibuka; pesan lain tetap dikirim.',
    );
    const kotaB = (await agent.get('/staff/monitoring/SPI-TEST/agencies/KOTA-B').expect(200)).text;
    expect(kotaB).toContain('Zona waktu WIT (Asia/Jayapura)');
    expect(kotaB).toContain('Di luar jam kirim (07:00–20:00, Asia/Jayapura): pesan yang antre menunggu dan baru dikirim mulai 2026-08-02 pukul 07:00.');
    expect((await agent.get('/staff/monitoring/SPI-TEST/agencies/PROV-A').expect(200)).text).not.toContain('Di luar jam kirim');

    // 23:00 in Jakarta: closed everywhere; the first to open is Jayapura, at 05:00 Jakarta time
    world.clock.set('2026-08-01T16:00:00Z');
    expect((await dispatcher.runOnce()).heldUntil).toEqual(new Date('2026-08-01T22:00:00Z'));
    const { agent: later } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1'); // the session has expired meanwhile
    expect((await later.get('/staff/surveys/SPI-TEST/invitations').expect(200)).text).toContain(
      'Di luar jam kirim (07:00–20:00 waktu setempat tiap instansi) di semua zona: pesan yang antre menunggu, dan yang pertama dikirim mulai 2026-08-02 pukul 05:00 (Asia/Jakarta).',
    );
    // 07:00 in Jayapura: Gita's leaves, while it is 05:00 in Jakarta
    world.clock.set('2026-08-01T22:00:00Z');
    expect((await dispatcher.runOnce()).sent).toBe(1);
    expect(smtp.received.at(-1)!.envelopeTo).toEqual(['gita@example.id']);
  });

  it('the pages that queue or count messages say when they will leave', async () => {
    await setUp({ env: { SENDING_HOURS: '07:00-20:00' } });
    await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
    const { agent } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const pages = ['/staff/surveys/SPI-TEST/invitations', '/staff/monitoring/SPI-TEST', '/staff/monitoring/SPI-TEST/agencies/PROV-A', '/staff/monitoring/SPI-TEST/agencies/PROV-A/reminders'];
    for (const page of pages) expect((await agent.get(page).expect(200)).text, page).not.toContain('Di luar jam kirim');
    world.clock.set('2026-08-01T14:30:00Z');
    for (const page of pages) {
      const text = (await agent.get(page).expect(200)).text;
      expect(text, page).toContain('Di luar jam kirim (07:00–20:00, Asia/Jakarta): pesan yang antre menunggu dan baru dikirim mulai 2026-08-02 pukul 07:00.');
    }
    const english = await agent.get('/staff/surveys/SPI-TEST/invitations?lang=en').expect(200);
    expect(english.text).toContain('Outside the sending hours (07:00–20:00, Asia/Jakarta): queued messages wait and leave from 2026-08-02 at 07:00.');
  });
});

describe('sending progress on the dashboard', () => {
  it('shows what has left and what waits, warns when nothing leaves, and goes away once all has left', async () => {
    await setUp({ env: { EMAIL_RATE_PER_SEC: '2' } });
    await addStaff(world.db, world.clock, { email: 'admin@example.id', role: 'administrator', password: 'admin-password-1' });
    const { agent } = await signInStaff(world.app, 'admin@example.id', 'admin-password-1');
    const dashboard = async () => (await agent.get('/staff/monitoring/SPI-TEST').expect(200)).text;
    expect(await dashboard()).not.toContain('Pengiriman pesan');

    await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email' }, true);
    let page = await dashboard();
    expect(page).toContain('0 dari 6 undangan sudah keluar; 6 masih antre.');
    expect(page).toContain('<progress max="6" value="0"');
    expect(page).toContain('Antrean semua survei: 6 pesan (6 email, 0 WhatsApp), habis dalam kurang dari semenit pada laju yang diatur (2 email dan 100 WhatsApp per detik).');
    // no dispatcher runs in this test: due messages and no claim ever
    expect(page).toContain('Belum ada pesan yang pernah keluar');

    await dispatcher.runOnce();
    expect(smtp.received).toHaveLength(6);
    expect(await dashboard()).not.toContain('Pengiriman pesan');

    // three more queued, and no dispatcher for two minutes: it says since when nothing left
    await addRespondentsAndQueue(3);
    world.clock.advance(2 * 60 * 1000 + 1000);
    page = await dashboard();
    expect(page).toContain('6 dari 9 undangan sudah keluar; 3 masih antre.');
    expect(page).toContain('Tidak ada pesan yang keluar sejak 1 Agu 2026, 10.00, padahal ada yang sudah waktunya dikirim.');
    const english = await agent.get('/staff/monitoring/SPI-TEST?lang=en').expect(200);
    expect(english.text).toContain('6 of 9 invitations have left; 3 are still queued.');

    // an agency's page counts its own invitations; its liaison is not told about the sender
    const kotaInvited = world.db.prepare(`SELECT COUNT(DISTINCT m.invitation_id) FROM messages m JOIN invitations i ON i.id = m.invitation_id JOIN respondents r ON r.id = i.respondent_id JOIN agencies a ON a.id = r.agency_id WHERE a.code = 'KOTA-B'`).pluck().get() as number;
    const kotaLine = `${kotaInvited - 3} dari ${kotaInvited} undangan sudah keluar; 3 masih antre.`;
    const adminView = (await agent.get('/staff/monitoring/SPI-TEST/agencies/KOTA-B?lang=id').expect(200)).text;
    expect(adminView).toContain(kotaLine);
    expect(adminView).toContain('Tidak ada pesan yang keluar sejak');
    await addStaff(world.db, world.clock, { email: 'kota@example.id', role: 'liaison', agencyCode: 'KOTA-B', password: 'liaison-password-1' });
    const liaison = await signInStaff(world.app, 'kota@example.id', 'liaison-password-1');
    const liaisonView = (await liaison.agent.get('/staff/monitoring/SPI-TEST/agencies/KOTA-B?lang=id').expect(200)).text;
    expect(liaisonView).toContain(kotaLine);
    expect(liaisonView).not.toContain('Tidak ada pesan yang keluar');
  });
});

async function addRespondentsAndQueue(count: number): Promise<void> {
  const rows = Array.from({ length: count }, (_, index) => `KOTA-B,internal,Tambahan ${index},tambahan${index}@example.id,,,`).join('\n');
  const { importRespondents } = await import('../../server/respondents/service.js');
  await importRespondents(world.db, world.clock, world.secretKey, 'SPI-TEST', Buffer.from(`agency_code,group,name,email,phone,unit,language\n${rows}\n`));
  await queueInvitations(world.db, world.clock, { surveyCode: 'SPI-TEST', channel: 'email' }, true);
}
