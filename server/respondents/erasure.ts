import { setImmediate as nextTurn } from 'node:timers/promises';
import { dayIn, type Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { ConflictError } from '../platform/errors.js';
import { requireSurvey } from '../surveys/service.js';
import type { SurveyRecord } from '../surveys/store.js';
import {
  eraseAttemptDetails,
  eraseRespondentRange,
  findContactErasure,
  finishContactErasure,
  respondentIdRange,
  startContactErasure,
  type ContactErasure,
} from './store.js';

/** Erasing a closed round's personal data. Names, email addresses and phone numbers are needed to
 * reach people while a round runs, and for nothing once its results are final; keeping them only
 * keeps the risk (and Indonesia's personal data protection law, UU 27/2022, asks for data to be
 * erased once its purpose is met). An administrator erases them from the survey's manage page or
 * the CLI; with them go the drafts never submitted and the providers' error texts, which quote
 * addresses. The answers were never linked to anyone, and the counts per agency, group and unit
 * stay, so results, response rates, publication and follow-up are unchanged. An erased round stays
 * closed (a trigger refuses to open it), so no respondent can be added or contacted again. */

export type { ContactErasure } from './store.js';

/** Respondents erased per transaction, with a turn of the event loop between two, so that an open
 * round's respondents are still answered while a national round is erased: each batch rewrites
 * pages all over the contact indexes, under 15 ms per 1,000 in P3 (about 45 ms for the one in four
 * that also checkpoints the WAL when no checkpoint thread runs). */
const RESPONDENTS_PER_BATCH = 1000;

/** Closed, and not erased already (an erasure that was interrupted may run again). */
export function requireErasable(survey: SurveyRecord, erasure: ContactErasure | undefined): void {
  if (survey.status !== 'closed') throw new ConflictError(`Survey ${survey.code} is ${survey.status}: its personal data is erased once it is closed.`, 'not_closed');
  if (erasure?.finishedAt) throw new ConflictError(`The personal data of survey ${survey.code} was erased at ${erasure.finishedAt}.`, 'already_erased');
}

/** Erases the survey's personal data in batches; returns how many respondents were erased now. */
export async function eraseContacts(db: Db, clock: Clock, surveyCode: string, actor: string, timeZone: string): Promise<{ erased: number }> {
  // checked and recorded in one transaction: from then on the survey cannot open again
  const survey = db.transaction(() => {
    const current = requireSurvey(db, surveyCode);
    requireErasable(current, findContactErasure(db, current.id));
    startContactErasure(db, current.id, actor, clock.now().toISOString());
    return current;
  })();
  const day = dayIn(clock.now(), timeZone);
  const range = respondentIdRange(db, survey.id);
  let erased = 0;
  if (range.first !== null && range.last !== null) {
    const eraseBatch = db.transaction((fromId: number) => eraseRespondentRange(db, survey.id, fromId, fromId + RESPONDENTS_PER_BATCH - 1, day));
    for (let fromId = range.first; fromId <= range.last; fromId += RESPONDENTS_PER_BATCH) {
      erased += eraseBatch(fromId);
      await nextTurn();
    }
  }
  db.transaction(() => {
    eraseAttemptDetails(db, survey.id);
    finishContactErasure(db, survey.id, clock.now().toISOString());
  })();
  return { erased };
}
