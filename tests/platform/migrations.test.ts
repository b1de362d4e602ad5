import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashInvitationToken } from '../../server/invitations/tokens.js';
import { migrate, type Db } from '../../server/platform/db.js';
import { migrationsDir } from '../../server/platform/paths.js';
import { tempDir } from '../helpers.js';

/** A database as a server before migration `version` left it: the earlier files applied and recorded. */
function databaseBefore(databasePath: string, version: number): Db {
  const db = new Database(databasePath);
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  for (const file of readdirSync(migrationsDir).filter((name) => /^\d+_.+\.sql$/.test(name)).sort()) {
    if (Number(file.split('_')[0]) >= version) continue;
    db.exec(readFileSync(path.join(migrationsDir, file), 'utf8'));
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(Number(file.split('_')[0]), file, '2026-07-01T00:00:00.000Z');
  }
  return db;
}

describe('migration 009: invitation token keys', () => {
  let dir: ReturnType<typeof tempDir>;
  let db: Db;
  const hexHash = (token: string) => hashInvitationToken(token).toString('hex');

  beforeEach(() => {
    dir = tempDir();
    db = databaseBefore(path.join(dir.dir, 'before.db'), 9);
    db.exec(`
      INSERT INTO surveys (id, code, definition_json, opens_on, closes_on, created_at, updated_at)
        VALUES (1, 'SPI', '{}', '2026-07-01', '2026-09-30', 'now', 'now');
      INSERT INTO agencies (id, code, name, kind, created_at) VALUES (1, 'A', 'Instansi A', 'agency', 'now');
      INSERT INTO respondents (id, survey_id, agency_id, group_code, email, created_at)
        VALUES (1, 1, 1, 'internal', 'a@example.id', 'now'), (2, 1, 1, 'internal', 'b@example.id', 'now'), (3, 1, 1, 'external', 'c@example.id', 'now');`);
    const insertInvitation = db.prepare(`INSERT INTO invitations (id, respondent_id, survey_id, token_seed, token_hash, status, draft_json, opted_out_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?)`);
    insertInvitation.run(10, 1, 'seed-1', hexHash('token-one'), 'completed', null, null);
    insertInvitation.run(20, 2, 'seed-2', hexHash('token-two'), 'in_progress', '{"q1":"3"}', null);
    insertInvitation.run(30, 3, 'seed-3', hexHash('token-three'), 'new', null, '2026-07-02T00:00:00.000Z');
    db.exec(`INSERT INTO messages (invitation_id, channel, kind, next_attempt_at, created_at, updated_at) VALUES (20, 'email', 'invitation', 0, 'now', 'now')`);
  });
  afterEach(() => {
    db.close();
    dir.cleanup();
  });

  it('keeps every invitation as it was, with its hash as 32 bytes, and the messages that refer to them', () => {
    const before = db.prepare('SELECT * FROM invitations ORDER BY id').all() as Record<string, unknown>[];
    // 009 first, then any later migration
    expect(migrate(db)[0]).toBe('009_invitation_token_keys.sql');
    // the columns there were before 009 (later migrations may add their own)
    const columnsBefore = Object.keys(before[0]!);
    const after = (db.prepare('SELECT * FROM invitations ORDER BY id').all() as Record<string, unknown>[]).map((row) => Object.fromEntries(columnsBefore.map((column) => [column, row[column]])));
    expect(after).toEqual(before.map((row) => ({ ...row, token_hash: Buffer.from(row.token_hash as string, 'hex') })));
    expect(db.prepare('SELECT id FROM invitations WHERE token_hash = ?').pluck().get(hashInvitationToken('token-two'))).toBe(20);
    expect(db.prepare('SELECT i.status FROM messages m JOIN invitations i ON i.id = m.invitation_id').pluck().all()).toEqual(['in_progress']);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    // foreign keys are back on for the server's connection
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(() => db.prepare(`INSERT INTO messages (invitation_id, channel, kind, next_attempt_at, created_at, updated_at) VALUES (99, 'email', 'invitation', 0, 'now', 'now')`).run()).toThrow(/FOREIGN KEY/);
  });

  it('keeps the guarantees: one invitation per respondent, unique tokens, completed once; a seed is no longer indexed', () => {
    migrate(db);
    expect(() => db.prepare(`UPDATE invitations SET status = 'opened' WHERE id = 10`).run()).toThrow(/already completed/);
    const insertInvitation = db.prepare(`INSERT INTO invitations (respondent_id, survey_id, token_seed, token_hash) VALUES (?, 1, ?, ?)`);
    expect(() => insertInvitation.run(1, 'seed-4', hashInvitationToken('token-four'))).toThrow(/UNIQUE.*respondent_id/);
    db.exec(`INSERT INTO respondents (id, survey_id, agency_id, group_code, email, created_at) VALUES (4, 1, 1, 'internal', 'd@example.id', 'now')`);
    expect(() => insertInvitation.run(4, 'seed-4', hashInvitationToken('token-one'))).toThrow(/UNIQUE.*token_hash/);
    expect(() => insertInvitation.run(4, 'seed-4', Buffer.from('not a hash'))).toThrow(/CHECK/);
    expect(db.prepare('SELECT COUNT(*) FROM invitations WHERE survey_id = 1 AND status = ?').pluck().get('new')).toBe(1);
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT COUNT(*) FROM invitations WHERE survey_id = 1 AND status = 'new'`).all() as { detail: string }[];
    expect(plan.map((step) => step.detail).join(' ')).toContain('invitations_by_survey');
    const uniqueColumns = (db.prepare(`SELECT name FROM pragma_index_list('invitations') WHERE "unique" = 1`).pluck().all() as string[])
      .flatMap((index) => db.prepare('SELECT name FROM pragma_index_info(?)').pluck().all(index));
    expect(uniqueColumns.sort()).toEqual(['respondent_id', 'token_hash']);
  });

  it('stores nothing if a hash is not hexadecimal, and leaves foreign keys on', () => {
    db.exec(`UPDATE invitations SET token_hash = 'not hex' WHERE id = 30`);
    expect(() => migrate(db)).toThrow(/NOT NULL.*token_hash/);
    expect(db.prepare('SELECT version FROM schema_migrations WHERE version = 9').get()).toBeUndefined();
    expect(db.prepare('SELECT typeof(token_hash) FROM invitations WHERE id = 10').pluck().get()).toBe('text');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('refuses to commit a rebuild that would leave a reference to a missing row', () => {
    db.pragma('foreign_keys = OFF');
    db.exec(`INSERT INTO messages (invitation_id, channel, kind, next_attempt_at, created_at, updated_at) VALUES (99, 'email', 'invitation', 0, 'now', 'now')`);
    db.pragma('foreign_keys = ON');
    expect(() => migrate(db)).toThrow('009_invitation_token_keys.sql would leave references to missing rows');
    expect(db.prepare('SELECT typeof(token_hash) FROM invitations WHERE id = 10').pluck().get()).toBe('text');
  });
});
