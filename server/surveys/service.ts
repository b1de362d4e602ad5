import type { Clock } from '../platform/clock.js';
import { noteChange } from '../platform/changes.js';
import type { Db } from '../platform/db.js';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors.js';
import { findContactErasure } from '../respondents/store.js';
import { questionnaireStructure } from './lock.js';
import { checkSurveyDefinition, type SurveyDefinition } from './schema.js';
import {
  findSurveyByCode,
  insertSurvey,
  setSurveyStatus,
  updateSurveyDefinition,
  type SurveyRecord,
  type SurveyStatus,
} from './store.js';

export type LoadOutcome = 'created' | 'updated' | 'unchanged';

export interface LoadResult {
  survey: SurveyRecord;
  outcome: LoadOutcome;
}

/** Parses JSON text into a definition, or a ValidationError listing every problem by path. */
export function parseDefinitionText(jsonText: string): SurveyDefinition {
  let document: unknown;
  try {
    document = JSON.parse(jsonText.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ValidationError(`The survey definition is not valid JSON: ${(error as Error).message}`);
  }
  const check = checkSurveyDefinition(document);
  if (!check.ok) {
    throw new ValidationError(
      `The survey definition has ${check.problems.length} problem(s)`,
      check.problems.map((problem) => ({ field: problem.path, message: problem.message })),
    );
  }
  return check.definition;
}

/** Creates or updates a survey from a definition. Once a survey is open or closed its
 * questionnaires are locked: only texts may still change. */
export function loadSurveyDefinition(db: Db, clock: Clock, definition: SurveyDefinition): LoadResult {
  const now = clock.now().toISOString();
  const loaded = db.transaction((): LoadResult => {
    const existing = findSurveyByCode(db, definition.code);
    if (!existing) {
      insertSurvey(db, definition, now);
      return { survey: findSurveyByCode(db, definition.code)!, outcome: 'created' };
    }
    if (JSON.stringify(existing.definition) === JSON.stringify(definition)) {
      return { survey: existing, outcome: 'unchanged' };
    }
    const structureChanged = questionnaireStructure(existing.definition) !== questionnaireStructure(definition);
    const groupsChanged = Object.keys(existing.definition.groups).sort().join() !== Object.keys(definition.groups).sort().join();
    if ((structureChanged || groupsChanged) && existing.status !== 'draft') {
      throw new ConflictError(
        `Survey ${definition.code} is ${existing.status}: its questionnaires can no longer change ` +
          '(answers already collected must keep their meaning). Only titles, texts and labels may be corrected.',
        'survey_locked',
      );
    }
    const version = structureChanged ? existing.version + 1 : existing.version;
    updateSurveyDefinition(db, existing.id, definition, version, now);
    return { survey: findSurveyByCode(db, definition.code)!, outcome: 'updated' };
  })();
  if (loaded.outcome !== 'unchanged') noteChange(db, 'results');
  return loaded;
}

export function requireSurvey(db: Db, code: string): SurveyRecord {
  const survey = findSurveyByCode(db, code);
  if (!survey) throw new NotFoundError(`No survey with code "${code}"`);
  return survey;
}

export function changeSurveyStatus(db: Db, clock: Clock, code: string, status: Exclude<SurveyStatus, 'draft'>): SurveyRecord {
  return db.transaction(() => {
    const survey = requireSurvey(db, code);
    // an erased round's respondents can no longer be reached (respondents/erasure.ts)
    if (status !== 'closed' && findContactErasure(db, survey.id)) {
      throw new ConflictError(`The personal data of survey ${survey.code} has been erased: it stays closed.`, 'erased');
    }
    if (survey.status !== status) setSurveyStatus(db, survey.id, status, clock.now().toISOString());
    return requireSurvey(db, code);
  })();
}

export type Availability = 'not_open' | 'open' | 'closed';

/** Whether respondents can answer today: the status and the calendar window both count. */
export function surveyAvailability(survey: Pick<SurveyRecord, 'status' | 'opensOn' | 'closesOn'>, today: string): Availability {
  if (survey.status === 'closed' || today > survey.closesOn) return 'closed';
  if (survey.status === 'draft' || today < survey.opensOn) return 'not_open';
  return 'open';
}
