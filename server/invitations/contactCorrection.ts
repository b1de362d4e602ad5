import type { Clock } from '../platform/clock.js';
import { ConflictError, ValidationError, type FieldProblem } from '../platform/errors.js';
import type { Db } from '../platform/db.js';
import { checkContact } from '../respondents/rows.js';
import { registeredContactProblems } from '../respondents/service.js';
import { updateRespondentContact } from '../respondents/store.js';
import { cancelPendingMessages, requeueInvitationMessage, type Channel } from './outboxStore.js';
import { automaticChannel, requireOpenForSending } from './sending.js';
import { requireRespondentRecord, type RespondentTarget } from './service.js';
import { reissueInvitationToken, type ContactRecord } from './store.js';
import { invitationTokenMinter } from './tokens.js';

/** Correcting the contact of someone who has not answered, and sending their invitation again.
 *
 * - `edit`: no message yet; "send invitations" will use the corrected contact.
 * - `resend`: messages were queued, or failed or bounced, but none left, so the link reached no
 *   one; it stays the respondent's link and goes to the corrected contact.
 * - `reissue`: a message left or the link was opened, perhaps at a wrong but existing address. The
 *   old link is revoked: a new token, and what the old link did (opened, started, the draft) is
 *   forgotten. Destructive, so it must be confirmed, and only administrators may do it: an
 *   agency's own liaison must not be able to take a delivered invitation away from its respondent.
 */
export type CorrectionMode = 'edit' | 'resend' | 'reissue';

/** What a correction of this invitation would be, or null when there is none (answered, opted
 * out or withdrawn from the sample: no message goes to them again). Pure. */
export function correctionMode(record: Pick<ContactRecord, 'status' | 'optedOut' | 'withdrawn' | 'messaged' | 'linkSeen'>): CorrectionMode | null {
  if (record.status === 'completed' || record.optedOut || record.withdrawn) return null;
  if (record.linkSeen) return 'reissue';
  return record.messaged ? 'resend' : 'edit';
}

/** Which channel a corrected contact's invitation goes on (sending.ts, automaticChannel), and what
 * a replaced link's token is derived with. */
export interface CorrectionSettings {
  whatsappConfigured: boolean;
  secretKey: Buffer;
}

/** The respondent and invitation behind a correction form, in an open survey, or NotFound. */
export function contactFor(db: Db, target: RespondentTarget): ContactRecord & { surveyId: number; agencyId: number } {
  return requireRespondentRecord(db, requireOpenForSending(db, target.surveyCode), target);
}

/** The email and phone to store ('' typed for none), checked as an import checks them; each
 * problem names its field. Also used for a file of corrections (contactUpload.ts). */
export function checkedContact(db: Db, respondent: { id: number; surveyId: number; agencyId: number }, agencyCode: string, typed: { email: string; phone: string }) {
  const { email, phone, problems: contactProblems } = checkContact(typed.email.trim(), typed.phone.trim());
  const problems: FieldProblem[] = [...contactProblems, ...registeredContactProblems(db, respondent, agencyCode, { email, phone })];
  return { email, phone, problems };
}

/** Stores a checked contact and, unless no message was ever queued (`edit`), queues the
 * invitation again on the channel it gives, with a new link for a `reissue`. Returns that
 * channel. The caller holds the transaction. */
export function applyCorrection(
  db: Db,
  now: Date,
  record: Pick<ContactRecord, 'respondentId' | 'invitationId'>,
  mode: CorrectionMode,
  contact: { email: string | null; phone: string | null },
  settings: CorrectionSettings,
): Channel | null {
  updateRespondentContact(db, record.respondentId, contact);
  if (mode === 'edit') return null;
  if (mode === 'reissue') reissueInvitationToken(db, record.invitationId, invitationTokenMinter(settings.secretKey)());
  // what still waits may be for a channel the corrected contact no longer has, or carry the old link
  cancelPendingMessages(db, record.invitationId, 'contact corrected', now.toISOString());
  const channel = automaticChannel(contact, settings.whatsappConfigured)!; // one of them is set
  requeueInvitationMessage(db, record.invitationId, channel, now.getTime(), now.toISOString());
  return channel;
}

/** Stores the corrected email and phone and queues the invitation again on the channel they
 * give; for a `reissue`, with a new link (`confirmed` must say the staff member accepts that the
 * old link stops working and any draft is lost). All or nothing. */
export function correctContact(
  db: Db,
  clock: Clock,
  target: RespondentTarget,
  request: { email: string; phone: string; confirmed: boolean; administrator: boolean },
  settings: CorrectionSettings,
): { channel: Channel | null; mode: CorrectionMode } {
  return db.transaction(() => {
    const record = contactFor(db, target);
    const mode = correctionMode(record);
    if (mode === null) throw new ConflictError('Only the contact of someone who has not answered, opted out or been withdrawn can be corrected.', 'not_correctable');
    if (mode === 'reissue' && !request.administrator) throw new ConflictError('Only an administrator can replace a link that may have been seen.', 'administrators_only');
    const respondent = { id: record.respondentId, surveyId: record.surveyId, agencyId: record.agencyId };
    const { email, phone, problems } = checkedContact(db, respondent, target.agencyCode, request);
    if (mode === 'reissue' && !request.confirmed) problems.push({ field: 'confirm', message: 'confirm that the old link stops working and unsent answers are deleted' });
    if (problems.length > 0) throw new ValidationError('The contact was not changed.', problems);
    return { channel: applyCorrection(db, clock.now(), record, mode, { email, phone }, settings), mode };
  }).immediate();
}
