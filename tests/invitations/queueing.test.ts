import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importAgencies } from '../../server/agencies/service.js';
import { optOutPhone, queueInvitations, queueReminders } from '../../server/invitations/sending.js';
import { INVITATIONS_BY_PHONE_SQL } from '../../server/invitations/store.js';
import { CLAIM_SQL, claimDueMessages, queueMessage, requeueInvitationMessage } from '../../server/invitations/outboxStore.js';
import { ManualClock } from '../../server/platform/clock.js';
import type { Db } from '../../server/platform/db.js';
import { importRespondents } from '../../server/respondents/service.js';
import { changeSurveyStatus, loadSurveyDefinition } from '../../server/surveys/service.js';
import { testSurvey } from '../fixtures/survey.js';
import { AGENCIES_CSV, TEST_SECRET, tempDatabase } from '../helpers.js';

const RESPONDENTS = 9000; // 4,500 per agency: more than two batches of 2,000 each
let db: Db;
let cleanup: () => void;
const clock = new ManualClock('2026-08-01T03:00:00Z');
const count = (sql: string) => db.prepare(sql).pluck().get() as number;

beforeEach(async () => {
  ({ db, cleanup } = tempDatabase());
  loadSurveyDefinition(db, clock, testSurvey());
  changeSurveyStatus(db, clock, 'SPI-TEST', 'open');
  await importAgencies(db, clock, Buffer.from(AGENCIES_CSV));
  const rows = Array.from({ length: RESPONDENTS }, (_, index) => `${index % 2 ? 'KOTA-B' : 'PROV-A'},internal,R${index},r${index}@example.id`);
  await importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from(['agency_code,group,name,email', ...rows].join('\n')));
});
afterEach(() => cleanup());

describe('queueing the invitations of a national round', () => {
  it('commits batch by batch with turns of the event loop between, queueing each invitation once across batches and filters', async () => {
    let settled = false;
    const queueing = queueInvitations(db, clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A' }, false).finally(() => (settled = true));
    // queued after the first batch's turn, so this runs after the second batch, before the third:
    // invitations 1 to 4,000, of which every other one is PROV-A's
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    expect(count('SELECT COUNT(*) FROM messages')).toBe(2000);

    expect(await queueing).toMatchObject({ queued: { email: RESPONDENTS / 2, whatsapp: 0 }, alreadyInvited: 0, skipped: { noContactForChannel: 0, optedOut: 0, completed: 0 } });
    const perAgency = `SELECT a.code, COUNT(*) AS messages, COUNT(DISTINCT m.invitation_id) AS invitations
                         FROM messages m JOIN invitations i ON i.id = m.invitation_id JOIN respondents r ON r.id = i.respondent_id JOIN agencies a ON a.id = r.agency_id
                        GROUP BY a.code ORDER BY a.code`;
    expect(db.prepare(perAgency).all()).toEqual([{ code: 'PROV-A', messages: RESPONDENTS / 2, invitations: RESPONDENTS / 2 }]);

    // again: nothing new; then everyone: only the other agency's
    expect(await queueInvitations(db, clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A' }, false)).toMatchObject({ queued: { email: 0, whatsapp: 0 }, alreadyInvited: RESPONDENTS / 2 });
    expect(await queueInvitations(db, clock, { surveyCode: 'SPI-TEST' }, false)).toMatchObject({ queued: { email: RESPONDENTS / 2, whatsapp: 0 }, alreadyInvited: RESPONDENTS / 2 });
    expect(db.prepare(perAgency).all()).toEqual([
      { code: 'KOTA-B', messages: RESPONDENTS / 2, invitations: RESPONDENTS / 2 },
      { code: 'PROV-A', messages: RESPONDENTS / 2, invitations: RESPONDENTS / 2 },
    ]);
  });

  it("for one agency, looks only over that agency's invitation ids, not the whole round's", async () => {
    // an agency registered later: its 100 respondents have the last ids, after the 9,000 others
    await importAgencies(db, clock, Buffer.from('code,name,kind\nKAB-C,Kabupaten C,regency\n'));
    const rows = Array.from({ length: 100 }, (_, index) => `KAB-C,internal,C${index},c${index}@example.id`);
    await importRespondents(db, clock, TEST_SECRET, 'SPI-TEST', Buffer.from(['agency_code,group,name,email', ...rows].join('\n')));
    let settled = false;
    const queueing = queueInvitations(db, clock, { surveyCode: 'SPI-TEST', agencyCode: 'KAB-C' }, false).finally(() => (settled = true));
    // one batch (its ids fit in one range) and one turn: done by the time this runs, where the
    // round's ranges from the first id would have taken five batches
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(settled).toBe(true);
    expect(await queueing).toMatchObject({ queued: { email: 100, whatsapp: 0 }, alreadyInvited: 0 });
    // an agency without respondents in this survey: nothing to look over
    expect(await queueInvitations(db, clock, { surveyCode: 'SPI-TEST', agencyCode: 'NOPE' }, false)).toMatchObject({ queued: { email: 0, whatsapp: 0 }, alreadyInvited: 0 });
  });

  it('queues reminders in the same batches, once per invitation', async () => {
    await queueInvitations(db, clock, { surveyCode: 'SPI-TEST' }, false);
    const fourDaysAgo = new Date(clock.now().getTime() - 4 * 86_400_000).toISOString();
    db.prepare(`UPDATE messages SET state = 'delivered', sent_at = ?, created_at = ?`).run(fourDaysAgo, fourDaysAgo);
    expect((await queueReminders(db, clock, { surveyCode: 'SPI-TEST', agencyCode: 'KOTA-B', minDays: 3, max: 3, dryRun: true })).planned).toHaveLength(RESPONDENTS / 2);
    expect(count(`SELECT COUNT(*) FROM messages WHERE kind = 'reminder'`)).toBe(0);
    expect((await queueReminders(db, clock, { surveyCode: 'SPI-TEST', agencyCode: 'KOTA-B', minDays: 3, max: 3 })).queued).toBe(RESPONDENTS / 2);
    expect(
      db.prepare(`SELECT a.code, COUNT(*) AS reminders, COUNT(DISTINCT m.invitation_id) AS invitations FROM messages m JOIN invitations i ON i.id = m.invitation_id JOIN respondents r ON r.id = i.respondent_id JOIN agencies a ON a.id = r.agency_id WHERE m.kind = 'reminder' GROUP BY a.code`).all(),
    ).toEqual([{ code: 'KOTA-B', reminders: RESPONDENTS / 2, invitations: RESPONDENTS / 2 }]);
    // a reminder is now pending for each of them: none again
    expect((await queueReminders(db, clock, { surveyCode: 'SPI-TEST', agencyCode: 'KOTA-B', minDays: 3, max: 3 })).queued).toBe(0);
  });
});

describe('claiming due messages', () => {
  it('claims the earliest due first, queued or with an expired lease, and nothing early or still leased', async () => {
    await queueInvitations(db, clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A' }, false);
    const ids = db.prepare(`SELECT id FROM messages ORDER BY id LIMIT 6`).pluck().all() as number[];
    const nowMs = clock.now().getTime();
    const set = db.prepare('UPDATE messages SET state = ?, next_attempt_at = ?, lease_until = ? WHERE id = ?');
    db.prepare(`UPDATE messages SET state = 'sent' WHERE id NOT IN (${ids.join(',')})`).run();
    set.run('queued', nowMs - 3000, null, ids[0]);
    set.run('sending', nowMs - 5000, nowMs - 1, ids[1]); // its dispatcher died: lease over
    set.run('sending', nowMs - 9000, nowMs + 60_000, ids[2]); // still being sent
    set.run('queued', nowMs - 1000, null, ids[3]);
    set.run('queued', nowMs + 30_000, null, ids[4]); // waiting for a retry
    set.run('queued', nowMs - 4000, null, ids[5]);
    const claim = (limit: number) => claimDueMessages(db, 'email', limit, nowMs, 60_000).claimed.map((message) => message.id);
    expect(claim(2)).toEqual([ids[1], ids[5]].sort((a, b) => a! - b!));
    expect(claim(5)).toEqual([ids[0], ids[3]]);
    expect(claim(5)).toEqual([]);
  });

  it('claims what a staff member queued for one respondent before a blast queued earlier', async () => {
    await queueInvitations(db, clock, { surveyCode: 'SPI-TEST', agencyCode: 'PROV-A' }, false); // 4,500 in bulk
    const nowMs = clock.now().getTime() + 60_000;
    const later = db.prepare(`SELECT i.id FROM invitations i JOIN respondents r ON r.id = i.respondent_id JOIN agencies a ON a.id = r.agency_id WHERE a.code = 'KOTA-B' LIMIT 2`).pluck().all() as number[];
    // a corrected contact and a respondent put back, a minute after the blast was queued
    requeueInvitationMessage(db, later[0]!, 'email', nowMs, new Date(nowMs).toISOString());
    queueMessage(db, { invitationId: later[1]!, channel: 'email', kind: 'invitation', priority: true }, nowMs, new Date(nowMs).toISOString());
    const first = claimDueMessages(db, 'email', 3, nowMs, 60_000).claimed.map((message) => message.invitationId);
    expect(first).toHaveLength(3);
    expect(first).toEqual(expect.arrayContaining(later));
    // the bulk goes on in its own order afterwards
    const bulkFirst = db.prepare(`SELECT MIN(id) FROM messages WHERE priority = 0`).pluck().get() as number;
    expect(db.prepare(`SELECT state FROM messages WHERE id = ?`).pluck().get(bulkFirst)).toBe('sending');
  });

  it('reads only the due range of the index, not every message the channel ever had', () => {
    const range = ['email', 0, 10];
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${CLAIM_SQL}`).all(0, '', ...range, ...range, ...range, 10) as { detail: string }[]).map((row) => row.detail);
    // queued, once per priority; then the expired leases among the few being sent
    expect(plan.filter((detail) => detail === 'SEARCH messages USING COVERING INDEX messages_due (channel=? AND state=? AND priority=? AND next_attempt_at<?)')).toHaveLength(2);
    expect(plan).toContain('SEARCH messages USING INDEX messages_due (channel=? AND state=?)');
    expect(plan.filter((detail) => /messages_due \(channel=\?\)$/.test(detail) || /^SCAN messages/.test(detail))).toEqual([]);
  });
});

describe('a WhatsApp STOP reply at national size', () => {
  it('finds the number by seeking the phone index per survey and agency, not by reading all of it', () => {
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${INVITATIONS_BY_PHONE_SQL}`).all('+62811') as { detail: string }[]).map((row) => row.detail);
    expect(plan).toContain('SEARCH r USING COVERING INDEX respondents_phone_unique (survey_id=? AND agency_id=? AND phone=?)');
    expect(plan.filter((detail) => detail.startsWith('SCAN r'))).toEqual([]);
  });

  it('opts out the invitations at that number in every agency of the open surveys', () => {
    db.prepare(`UPDATE respondents SET phone = '+6281200000001' WHERE name IN ('R10', 'R11')`).run(); // one in each agency
    expect(optOutPhone(db, clock, '+6281200000001')).toBe(2);
    expect(db.prepare(`SELECT r.name FROM invitations i JOIN respondents r ON r.id = i.respondent_id WHERE i.opted_out_at IS NOT NULL ORDER BY r.name`).pluck().all()).toEqual(['R10', 'R11']);
    expect(optOutPhone(db, clock, '+6281200000002')).toBe(0);
  });
});
