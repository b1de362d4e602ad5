import { randomBytes } from 'node:crypto';
import { customAlphabet } from 'nanoid';
import { dayIn, type Clock } from '../platform/clock.js';
import type { Db } from '../platform/db.js';
import { AppError, ConflictError, GoneError, NotFoundError } from '../platform/errors.js';
import { hashInvitationToken, isWellFormedToken } from '../invitations/tokens.js';
import { dimensionScoresOf } from '../scoring/index.js';
import { qualityFlags } from '../scoring/quality.js';
import { pickLanguage } from '../surveys/localize.js';
import type { Language, Questionnaire } from '../surveys/schema.js';
import { surveyAvailability } from '../surveys/service.js';
import { findSurveyById, type SurveyRecord } from '../surveys/store.js';
import { applyAnswerPatch, findIncompleteItems, type AnswerProblem, type Answers } from './rules.js';
import {
  completeInvitation,
  findInvitationByTokenHash,
  insertResponse,
  markOpened,
  saveDraft,
  setInvitationLanguage,
  type InvitationForAnswering,
} from './store.js';

/** The respondent's journey, shared by the web pages and the JSON API (one set of rules). */

export interface AnsweringContext {
  db: Db;
  clock: Clock;
  timeZone: string;
}

export interface OpenInvitation {
  invitation: InvitationForAnswering;
  survey: SurveyRecord;
  questionnaire: Questionnaire;
  language: Language;
  answers: Answers;
}

export type InvitationState =
  | { state: 'unknown' }
  | { state: 'completed'; survey: SurveyRecord; language: Language; receiptCode: string | null }
  | { state: 'not_open' | 'closed'; survey: SurveyRecord; language: Language }
  | ({ state: 'open' } & OpenInvitation);

/** Invalid or missing answers; routes render them in the respondent's language. */
export class AnswerProblemsError extends AppError {
  constructor(readonly problems: AnswerProblem[]) {
    super(`${problems.length} answer(s) need attention`, 422, 'invalid_answers');
  }
}

/** Finds where an invitation stands. A malformed token is looked up like any other is not:
 * both end as 'unknown', so from outside they cannot be told apart. */
export function resolveInvitation(context: AnsweringContext, invitationToken: string, wantedLanguage?: string): InvitationState {
  if (!isWellFormedToken(invitationToken)) return { state: 'unknown' };
  const invitation = findInvitationByTokenHash(context.db, hashInvitationToken(invitationToken));
  if (!invitation) return { state: 'unknown' };
  const survey = findSurveyById(context.db, invitation.surveyId)!;
  const language = pickLanguage(survey.definition, wantedLanguage, invitation.language);
  if (invitation.status === 'completed') return { state: 'completed', survey, language, receiptCode: invitation.receiptCode };
  const availability = surveyAvailability(survey, dayIn(context.clock.now(), context.timeZone));
  if (availability !== 'open') return { state: availability, survey, language };
  const questionnaire = survey.definition.questionnaires[invitation.groupCode];
  if (!questionnaire) throw new Error(`survey ${survey.code} has no questionnaire for group ${invitation.groupCode}`);
  return {
    state: 'open',
    invitation,
    survey,
    questionnaire,
    language,
    answers: invitation.draftJson ? (JSON.parse(invitation.draftJson) as Answers) : {},
  };
}

/** Whether a token belongs to an invitation (for the rate limit of an address over its budget). */
export function invitationExists(db: Db, invitationToken: string): boolean {
  return isWellFormedToken(invitationToken) && findInvitationByTokenHash(db, hashInvitationToken(invitationToken)) !== undefined;
}

/** Like resolveInvitation, but anything other than an open invitation is an error. */
export function requireOpenInvitation(context: AnsweringContext, invitationToken: string, wantedLanguage?: string): OpenInvitation {
  const found = resolveInvitation(context, invitationToken, wantedLanguage);
  switch (found.state) {
    case 'unknown':
      throw new NotFoundError('This link is not valid.');
    case 'completed':
      throw new ConflictError('This questionnaire has already been submitted.', 'completed');
    case 'not_open':
    case 'closed':
      throw new GoneError('This survey is not open.', found.state);
    case 'open':
      return found;
  }
}

/** Opening the questionnaire: records the first visit (for "opened" and the duration) and a
 * language chosen with the switch. */
export function openQuestionnaire(context: AnsweringContext, invitationToken: string, wantedLanguage?: string): OpenInvitation {
  const open = requireOpenInvitation(context, invitationToken, wantedLanguage);
  recordVisit(context, open, wantedLanguage);
  return open;
}

export function recordVisit(context: AnsweringContext, open: OpenInvitation, wantedLanguage?: string): void {
  if (open.invitation.status === 'new') markOpened(context.db, open.invitation.id, context.clock.now().toISOString());
  if (wantedLanguage === open.language && open.invitation.language !== open.language) setInvitationLanguage(context.db, open.invitation.id, open.language);
}

/** Merges answers into the server-side draft; an invalid value rejects the whole patch. */
export function saveAnswers(context: AnsweringContext, invitationToken: string, patch: Record<string, unknown>): { saved: number; open: OpenInvitation } {
  return context.db.transaction(() => {
    const open = requireOpenInvitation(context, invitationToken);
    const merged = applyAnswerPatch(open.questionnaire, open.answers, patch);
    if (!merged.ok) throw new AnswerProblemsError(merged.problems);
    saveDraft(context.db, open.invitation.id, JSON.stringify(merged.answers), context.clock.now().toISOString());
    return { saved: Object.keys(patch).length, open: { ...open, answers: merged.answers } };
  }).immediate();
}

const receiptAlphabet = customAlphabet('23456789ABCDEFGHJKLMNPQRSTUVWXYZ', 10);

// Response ids take 16 bytes each from a block of 4 KB drawn at once: a call into the random
// source per submission cost a hundredth of the API's time.
let randomBlock = Buffer.alloc(0);
let randomOffset = 0;

/** 128 random bits, hex: a response's id, which must not tell when it arrived. */
export function newResponseId(): string {
  if (randomOffset + 16 > randomBlock.length) {
    randomBlock = randomBytes(4096);
    randomOffset = 0;
  }
  randomOffset += 16;
  return randomBlock.toString('hex', randomOffset - 16, randomOffset);
}

/** Submits the questionnaire in one transaction: the invitation is marked completed only if it
 * was not (the database decides who wins a race), the anonymous response and its answers are
 * written, and the draft is deleted. A valid patch sent with an incomplete submit is kept as draft. */
export function submitQuestionnaire(context: AnsweringContext, invitationToken: string, patch?: Record<string, unknown>): { receiptCode: string } {
  const outcome = context.db.transaction((): { receiptCode: string } | { problems: AnswerProblem[] } => {
    const open = requireOpenInvitation(context, invitationToken);
    const now = context.clock.now();
    let answers = open.answers;
    if (patch && Object.keys(patch).length > 0) {
      const merged = applyAnswerPatch(open.questionnaire, open.answers, patch);
      if (!merged.ok) throw new AnswerProblemsError(merged.problems);
      answers = merged.answers;
    }
    const incomplete = findIncompleteItems(open.questionnaire, answers);
    if (incomplete.length > 0) {
      if (answers !== open.answers) saveDraft(context.db, open.invitation.id, JSON.stringify(answers), now.toISOString());
      return { problems: incomplete };
    }
    const receiptCode = receiptAlphabet().replace(/^(.{5})/, '$1-');
    if (!completeInvitation(context.db, open.invitation.id, dayIn(now, context.timeZone), receiptCode, now.toISOString())) {
      throw new ConflictError('This questionnaire has already been submitted.', 'completed');
    }
    const durationSeconds = open.invitation.openedAt === null ? null : Math.max(0, Math.round((now.getTime() - Date.parse(open.invitation.openedAt)) / 1000));
    const flags = qualityFlags(open.survey.definition.quality, open.questionnaire, answers, durationSeconds);
    insertResponse(
      context.db,
      {
        id: newResponseId(),
        surveyId: open.survey.id,
        agencyId: open.invitation.agencyId,
        groupCode: open.invitation.groupCode,
        unitId: open.invitation.unitId,
        questionnaireVersion: open.survey.version,
        submittedOn: dayIn(now, context.timeZone),
        durationSeconds,
        source: 'web',
        entryId: null,
        flagSpeeder: flags.speeder,
        flagStraightliner: flags.straightliner,
      },
      answers,
      dimensionScoresOf(open.questionnaire, answers),
    );
    return { receiptCode };
  }).immediate();
  // Thrown outside the transaction so that a kept draft is committed.
  if ('problems' in outcome) throw new AnswerProblemsError(outcome.problems);
  return outcome;
}
