import { statement, type Db } from '../platform/db.js';

export type StaffRole = 'administrator' | 'inspector' | 'liaison';
export const STAFF_ROLES: readonly StaffRole[] = ['administrator', 'inspector', 'liaison'];

export interface StaffUser {
  id: number;
  email: string;
  role: StaffRole;
  agencyId: number | null;
  agencyCode: string | null;
  language: string;
  passwordHash: string;
  disabledAt: string | null;
}

const SELECT_USER = `SELECT u.id, u.email, u.role, u.agency_id AS agencyId, a.code AS agencyCode, u.language,
                            u.password_hash AS passwordHash, u.disabled_at AS disabledAt
                       FROM staff_users u LEFT JOIN agencies a ON a.id = u.agency_id`;

export function findStaffByEmail(db: Db, email: string): StaffUser | undefined {
  return statement(db, `${SELECT_USER} WHERE u.email = ?`).get(email) as StaffUser | undefined;
}

export function insertStaff(db: Db, user: { email: string; role: StaffRole; agencyId: number | null; passwordHash: string; language: string }, nowIso: string): number {
  return Number(
    statement(db, 'INSERT INTO staff_users (email, role, agency_id, password_hash, language, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      user.email,
      user.role,
      user.agencyId,
      user.passwordHash,
      user.language,
      nowIso,
    ).lastInsertRowid,
  );
}

export function insertSession(db: Db, session: { idHash: string; userId: number; csrfToken: string; createdAt: string; expiresAt: string }): void {
  statement(db, 'INSERT INTO staff_sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(
    session.idHash,
    session.userId,
    session.csrfToken,
    session.createdAt,
    session.expiresAt,
  );
}

export function findSession(db: Db, idHash: string, nowIso: string): (StaffUser & { csrfToken: string }) | undefined {
  return statement(
    db,
    `${SELECT_USER.replace('FROM staff_users u', ', s.csrf_token AS csrfToken FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id')}
      WHERE s.id_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL`,
  ).get(idHash, nowIso) as (StaffUser & { csrfToken: string }) | undefined;
}

export function deleteSession(db: Db, idHash: string): void {
  statement(db, 'DELETE FROM staff_sessions WHERE id_hash = ?').run(idHash);
}

export function deleteExpiredSessions(db: Db, nowIso: string): void {
  statement(db, 'DELETE FROM staff_sessions WHERE expires_at <= ?').run(nowIso);
}

export function appendAudit(db: Db, entry: { at: string; actor: string; action: string; detail?: Record<string, unknown> }): void {
  statement(db, 'INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)').run(entry.at, entry.actor, entry.action, JSON.stringify(entry.detail ?? {}));
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  detail: string;
}

/** Newest first, filtered by action prefix and actor, paged by id. */
export function listAudit(db: Db, filter: { action?: string; actor?: string; beforeId?: number; limit: number }): AuditEntry[] {
  return statement(
    db,
    `SELECT id, at, actor, action, detail FROM audit_log
      WHERE (? IS NULL OR action LIKE ? || '%') AND (? IS NULL OR actor LIKE '%' || ? || '%') AND (? IS NULL OR id < ?)
      ORDER BY id DESC LIMIT ?`,
  ).all(filter.action ?? null, filter.action ?? null, filter.actor ?? null, filter.actor ?? null, filter.beforeId ?? null, filter.beforeId ?? null, filter.limit) as AuditEntry[];
}

export function findStaffById(db: Db, id: number): StaffUser | undefined {
  return statement(db, `${SELECT_USER} WHERE u.id = ?`).get(id) as StaffUser | undefined;
}

// a part of the email or of the agency code, typed as is (LIKE's own wildcards are taken literally)
const STAFF_SEARCH = `(? IS NULL OR u.email LIKE '%' || ? || '%' ESCAPE '\\' OR a.code LIKE '%' || ? || '%' ESCAPE '\\')`;
const likeText = (search: string | undefined) => (search ? search.replace(/[\\%_]/g, (character) => `\\${character}`) : null);

export function countStaff(db: Db, search?: string): number {
  const text = likeText(search);
  return statement(db, `SELECT COUNT(*) FROM staff_users u LEFT JOIN agencies a ON a.id = u.agency_id WHERE ${STAFF_SEARCH}`)
    .pluck()
    .get(text, text, text) as number;
}

/** Staff accounts by email, one page of them (a national round has a liaison per agency). */
export function listStaff(db: Db, options: { search?: string; limit?: number; offset?: number } = {}): Omit<StaffUser, 'passwordHash'>[] {
  const text = likeText(options.search);
  return (statement(db, `${SELECT_USER} WHERE ${STAFF_SEARCH} ORDER BY u.email LIMIT ? OFFSET ?`).all(text, text, text, options.limit ?? -1, options.offset ?? 0) as StaffUser[]).map(
    ({ passwordHash: _omitted, ...user }) => user,
  );
}

export function setStaffDisabled(db: Db, userId: number, disabledAt: string | null): boolean {
  const changed = statement(db, 'UPDATE staff_users SET disabled_at = ? WHERE id = ?').run(disabledAt, userId).changes === 1;
  if (disabledAt) statement(db, 'DELETE FROM staff_sessions WHERE user_id = ?').run(userId);
  return changed;
}

export function setStaffLanguage(db: Db, userId: number, language: string): void {
  statement(db, 'UPDATE staff_users SET language = ? WHERE id = ?').run(language, userId);
}
