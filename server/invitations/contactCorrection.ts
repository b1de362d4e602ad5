import { findAgencyByCode } from '../agencies/store.js';
import type { Clock } from '../platform/clock.js';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../platform/errors.js';
import type { Db } from '../platform/db.js';
import { normalizeMobileNumber } from '../respondents/phone.js';
import { checkEmail } from '../respondents/rows.js';
import { contactTakenByAnother, updateRespondentContact } from '../respondents/store.js';
import { requeueInvitationMessage, type Channel } from './outboxStore.js';
import { automaticChannel, requireOpenForSending } from './sending.js';
import { findContactRecord, type ContactRecord } from './store.js';

/** Correcting a contact whose invitation could not be delivered, and sending it again.
 * Only when no message ever left for anyone: every message of the invitation failed or bounced.
 * A link that reached a wrong but existing address is out of scope here: that link has been
 * seen by someone else. */

/** Whether the invitation of this respondent may be sent again to a corrected contact. Pure. */
export function isCorrectable(record: Pick<ContactRecord, 'status' | 'optedOut' | 'bestDelivery'>): boolean {
  // bestDelivery 1 failed, 2 bounced; 0 never sent (the normal send takes it), 3+ queued, sent or delivered
  return record.status !== 'completed' && !record.optedOut && (record.bestDelivery === 1 || record.bestDelivery === 2);
}

export interface ContactTarget {
  surveyCode: string;
  agencyCode: string;
  respondentId: number;
}

/** The respondent and invitation behind a correction form, or NotFound. */
export function contactFor(db: Db, target: ContactTarget): ContactRecord & { surveyId: number; agencyId: number } {
  const survey = requireOpenForSending(db, target.surveyCode);
  const agency = findAgencyByCode(db, target.agencyCode);
  const record = agency ? findContactRecord(db, survey.id, agency.id, target.respondentId) : undefined;
  if (!agency || !record) throw new NotFoundError(`No respondent ${target.respondentId} in ${target.agencyCode} for survey ${target.surveyCode}`);
  return { ...record, surveyId: survey.id, agencyId: agency.id };
}

/** Stores the corrected email and phone (as typed in a form: '' for none) and queues the
 * invitation again on the channel they give. All or nothing. */
export function correctContact(db: Db, clock: Clock, target: ContactTarget, typed: { email: string; phone: string }, whatsappConfigured: boolean): { channel: Channel } {
  return db.transaction(() => {
    const record = contactFor(db, target);
    if (!isCorrectable(record)) {
      throw new ConflictError('Only the contact of someone whose invitation failed or bounced, who has not answered or opted out, can be corrected here.', 'not_correctable');
    }
    const problems: FieldProblem[] = [];
    let email: string | null = null;
    let phone: string | null = null;
    const emailTyped = typed.email.trim();
    const phoneTyped = typed.phone.trim();
    if (emailTyped !== '') {
      const checked = checkEmail(emailTyped);
      if (checked.ok) email = checked.email;
      else problems.push({ field: 'email', message: checked.reason });
    }
    if (phoneTyped !== '') {
      const checked = normalizeMobileNumber(phoneTyped);
      if (checked.ok) phone = checked.e164;
      else problems.push({ field: 'phone', message: checked.reason });
    }
    if (emailTyped === '' && phoneTyped === '') problems.push({ field: 'email', message: 'an email or a phone number is required' });
    const respondent = { id: record.respondentId, surveyId: record.surveyId, agencyId: record.agencyId };
    if (email !== null && contactTakenByAnother(db, respondent, 'email', email)) problems.push({ field: 'email', message: `this email is already registered for ${target.agencyCode} in this survey` });
    if (phone !== null && contactTakenByAnother(db, respondent, 'phone', phone)) problems.push({ field: 'phone', message: `this phone is already registered for ${target.agencyCode} in this survey` });
    if (problems.length > 0) throw new ValidationError('The contact was not changed.', problems);
    updateRespondentContact(db, record.respondentId, { email, phone });
    const channel = automaticChannel({ email, phone }, whatsappConfigured)!; // one of them is set
    const now = clock.now();
    requeueInvitationMessage(db, record.invitationId, channel, now.getTime(), now.toISOString());
    return { channel };
  }).immediate();
}
