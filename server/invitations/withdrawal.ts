import { findAgencyByCode } from '../agencies/store.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { ConflictError, InputError, NotFoundError, ValidationError } from '../platform/errors.js';
import { normalizeMobileNumber } from '../respondents/phone.js';
import { findRespondentIdByContact } from '../respondents/store.js';
import { requireSurvey } from '../surveys/service.js';
import { cancelPendingMessages, restoreCancelledMessages } from './outboxStore.js';
import { requireRespondentRecord, type RespondentTarget } from './service.js';
import { clearWithdrawn, setWithdrawn, type ContactRecord } from './store.js';

/** Withdrawing a respondent from a survey's sample: someone on the list who should not answer
 * (retired, moved to another agency, listed by mistake). Their link stops working as an unknown one
 * does, waiting messages are cancelled and none is queued again, the draft typed through the link
 * is deleted, and the monitoring counts leave them out, so they no longer lower the agency's
 * response rate. Someone who has answered cannot be withdrawn: their response is anonymous and
 * stays. Undone by reinstating, while the survey is not closed. */

export const WITHDRAWAL_REASON_MAX = 200;

/** What the messages a withdrawal cancelled say, so that reinstating finds them again. */
const CANCELLED_BY_WITHDRAWAL = 'withdrawn from the sample';

/** The respondent behind a withdrawal form, in a survey not closed yet, or NotFound. */
export function withdrawalFor(db: Db, target: RespondentTarget): ContactRecord & { surveyId: number } {
  const survey = requireSurvey(db, target.surveyCode);
  if (survey.status === 'closed') throw new InputError(`Survey ${survey.code} is closed: its sample can no longer change.`);
  return requireRespondentRecord(db, survey, target);
}

/** Withdraws one respondent; `reason` (required, at most 200 characters) is shown to staff. */
export function withdrawRespondent(db: Db, clock: Clock, target: RespondentTarget, typedReason: string): { cancelledMessages: number } {
  const reason = typedReason.trim();
  if (reason === '') throw new ValidationError('The respondent was not withdrawn.', [{ field: 'reason', message: 'say why (retired, moved, listed by mistake…)' }]);
  if (reason.length > WITHDRAWAL_REASON_MAX) throw new ValidationError('The respondent was not withdrawn.', [{ field: 'reason', message: `at most ${WITHDRAWAL_REASON_MAX} characters` }]);
  return db.transaction(() => {
    const record = withdrawalFor(db, target);
    if (record.status === 'completed') throw new ConflictError('This respondent has answered; an anonymous response cannot be withdrawn.', 'completed');
    if (record.withdrawn) throw new ConflictError('This respondent is already withdrawn.', 'already_withdrawn');
    const nowIso = clock.now().toISOString();
    setWithdrawn(db, record.invitationId, reason, nowIso);
    return { cancelledMessages: cancelPendingMessages(db, record.invitationId, CANCELLED_BY_WITHDRAWAL, nowIso) };
  }).immediate();
}

/** Puts a withdrawn respondent back in the sample: their link works again, the messages the
 * withdrawal cancelled are queued again (an invitation cancelled before it left would otherwise
 * count as sent and never go), and reminders reach them as anyone else. */
export function reinstateRespondent(db: Db, clock: Clock, target: RespondentTarget): { restoredMessages: number } {
  return db.transaction(() => {
    const record = withdrawalFor(db, target);
    if (!clearWithdrawn(db, record.invitationId)) throw new ConflictError('This respondent is not withdrawn.', 'not_withdrawn');
    const now = clock.now();
    return { restoredMessages: restoreCancelledMessages(db, record.invitationId, CANCELLED_BY_WITHDRAWAL, now.getTime(), now.toISOString()) };
  }).immediate();
}

/** The respondent a command line names by email or phone (normalised as stored), for
 * `respondents withdraw` and `respondents reinstate`. */
export function respondentByContact(db: Db, surveyCode: string, agencyCode: string, contact: { email?: string; phone?: string }): RespondentTarget {
  const survey = requireSurvey(db, surveyCode);
  const agency = findAgencyByCode(db, agencyCode);
  if (!agency) throw new NotFoundError(`No agency ${agencyCode}`);
  if ((contact.email === undefined) === (contact.phone === undefined)) throw new InputError('Name the respondent by --email or by --phone (one of them).');
  let field: 'email' | 'phone' = 'email';
  let value = contact.email?.trim().toLowerCase() ?? '';
  if (contact.phone !== undefined) {
    const checked = normalizeMobileNumber(contact.phone);
    if (!checked.ok) throw new InputError(`--phone ${checked.reason}`);
    field = 'phone';
    value = checked.e164;
  }
  const respondentId = findRespondentIdByContact(db, survey.id, agency.id, field, value);
  if (respondentId === undefined) throw new NotFoundError(`No respondent of ${agency.code} in survey ${survey.code} has that ${field}.`);
  return { surveyCode: survey.code, agencyCode: agency.code, respondentId };
}
