import { createHash, randomBytes } from 'node:crypto';
import { findAgencyByCode } from '../agencies/store.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { InputError, ValidationError } from '../platform/errors.js';
import { WindowCounter } from '../platform/rateLimit.js';
import { z } from 'zod';
import { dummyPasswordHash, hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import { appendAudit, deleteExpiredSessions, deleteSession, findStaffByEmail, insertSession, insertStaff, STAFF_ROLES, type StaffRole } from './store.js';

export const SESSION_HOURS = 12;

export function hashSessionId(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex');
}

export async function addStaff(db: Db, clock: Clock, input: { email: string; role: string; agencyCode?: string; password: string; language?: string }, actor = 'cli'): Promise<number> {
  const problems = [];
  const email = input.email.trim().toLowerCase();
  if (!z.email().safeParse(email).success) problems.push({ field: 'email', message: `"${input.email}" is not a valid email address` });
  if (!(STAFF_ROLES as readonly string[]).includes(input.role)) problems.push({ field: 'role', message: `must be one of ${STAFF_ROLES.join(', ')}` });
  const passwordIssue = passwordProblem(input.password);
  if (passwordIssue) problems.push({ field: 'password', message: passwordIssue });
  let agencyId: number | null = null;
  if (input.role === 'liaison') {
    const agency = input.agencyCode ? findAgencyByCode(db, input.agencyCode) : undefined;
    if (!agency) problems.push({ field: 'agency', message: input.agencyCode ? `no agency with code "${input.agencyCode}"` : 'a liaison needs --agency' });
    agencyId = agency?.id ?? null;
  } else if (input.agencyCode) {
    problems.push({ field: 'agency', message: 'only a liaison belongs to one agency' });
  }
  if (findStaffByEmail(db, email)) problems.push({ field: 'email', message: `an account for ${email} already exists` });
  if (problems.length > 0) throw new ValidationError('The account was not created', problems);
  const passwordHash = await hashPassword(input.password);
  const now = clock.now().toISOString();
  return db.transaction(() => {
    const id = insertStaff(db, { email, role: input.role as StaffRole, agencyId, passwordHash, language: input.language === 'en' ? 'en' : 'id' }, now);
    appendAudit(db, { at: now, actor, action: 'staff.add', detail: { email, role: input.role, agency: input.agencyCode ?? null } });
    return id;
  })();
}

export class LoginThrottledError extends InputError {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many failed sign-ins. Wait a few minutes and try again.');
  }
}

/** Sign-in with throttling per account and per address; a new session id every time (no
 * fixation). Failures are audited without the password. */
export class StaffAuthenticator {
  private readonly failuresPerAccount: WindowCounter;
  private readonly failuresPerAddress: WindowCounter;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly limits = { perAccount: 5, perAddress: 20, windowMs: 15 * 60 * 1000 },
  ) {
    this.failuresPerAccount = new WindowCounter(clock, limits.windowMs);
    this.failuresPerAddress = new WindowCounter(clock, limits.windowMs);
  }

  async signIn(emailInput: string, password: string, address: string): Promise<{ sessionId: string } | null> {
    const email = emailInput.trim().toLowerCase();
    if (this.failuresPerAccount.count(email) >= this.limits.perAccount) throw new LoginThrottledError(this.failuresPerAccount.retryAfterSeconds(email));
    if (this.failuresPerAddress.count(address) >= this.limits.perAddress) throw new LoginThrottledError(this.failuresPerAddress.retryAfterSeconds(address));
    const user = findStaffByEmail(this.db, email);
    const valid = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
    const now = this.clock.now();
    if (!user || !valid || user.disabledAt) {
      this.failuresPerAccount.hit(email);
      this.failuresPerAddress.hit(address);
      appendAudit(this.db, { at: now.toISOString(), actor: email.slice(0, 254), action: 'staff.sign_in_failed', detail: { address } });
      return null;
    }
    const sessionId = randomBytes(32).toString('base64url');
    this.db.transaction(() => {
      deleteExpiredSessions(this.db, now.toISOString());
      insertSession(this.db, {
        idHash: hashSessionId(sessionId),
        userId: user.id,
        csrfToken: randomBytes(24).toString('base64url'),
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + SESSION_HOURS * 3600 * 1000).toISOString(),
      });
      appendAudit(this.db, { at: now.toISOString(), actor: user.email, action: 'staff.sign_in', detail: { address } });
    })();
    return { sessionId };
  }

  signOut(sessionId: string, actor: string): void {
    deleteSession(this.db, hashSessionId(sessionId));
    appendAudit(this.db, { at: this.clock.now().toISOString(), actor, action: 'staff.sign_out' });
  }
}
