import type { Clock } from '../platform/clock.js';
import { statement, type Db } from '../platform/db.js';
import { ConflictError } from '../platform/errors.js';
import { listSurveys, type SurveyRecord } from '../surveys/store.js';
import type { ResultsDocument } from './service.js';

/** Publishing a closed round's results: its national figures and each agency's index and category
 * become public (publicPages.ts) as they stand at that moment; nothing per unit, group, dimension
 * or response is shown. Publishing again replaces them with the current figures. A round that is
 * open again is not public, whatever was published before. */

export interface Publication {
  publishedAt: string;
  publishedBy: string;
  version: number;
}

export function findPublication(db: Db, surveyId: number): Publication | undefined {
  return statement(db, 'SELECT published_at AS publishedAt, published_by AS publishedBy, version FROM published_results WHERE survey_id = ?').get(surveyId) as Publication | undefined;
}

/** Results are published once the round is closed (its corrections and reviews done). */
export function requirePublishable(survey: SurveyRecord): void {
  if (survey.status !== 'closed') throw new ConflictError(`Survey ${survey.code} is ${survey.status}: results are published once it is closed.`, 'not_closed');
}

export function publishResults(db: Db, clock: Clock, survey: SurveyRecord, actor: string, document: ResultsDocument): Publication {
  requirePublishable(survey);
  statement(
    db,
    `INSERT INTO published_results (survey_id, published_at, published_by, document_json) VALUES (?, ?, ?, ?)
     ON CONFLICT (survey_id) DO UPDATE SET published_at = excluded.published_at, published_by = excluded.published_by,
                                           document_json = excluded.document_json, version = version + 1`,
  ).run(survey.id, clock.now().toISOString(), actor, JSON.stringify(document));
  return findPublication(db, survey.id)!;
}

/** Whether there was a publication to withdraw. */
export function withdrawPublication(db: Db, survey: SurveyRecord): boolean {
  parsedDocuments.get(db)?.delete(survey.id);
  return statement(db, 'DELETE FROM published_results WHERE survey_id = ?').run(survey.id).changes === 1;
}

/** The rounds the public may see: published and closed, the latest first. */
export function publishedRounds(db: Db): { survey: SurveyRecord; publication: Publication }[] {
  return listSurveys(db)
    .filter((survey) => survey.status === 'closed')
    .map((survey) => ({ survey, publication: findPublication(db, survey.id) }))
    .filter((round): round is { survey: SurveyRecord; publication: Publication } => round.publication !== undefined);
}

// A national document is a megabyte or two of JSON: parsed once per publication, not per visit
// (per database: tests open many; a withdrawal forgets its survey's).
const parsedDocuments = new WeakMap<Db, Map<number, { version: number; publishedAt: string; document: ResultsDocument }>>();

/** The document as it was published. */
export function publishedDocument(db: Db, surveyId: number, publication: Publication): ResultsDocument {
  let parsed = parsedDocuments.get(db);
  if (!parsed) parsedDocuments.set(db, (parsed = new Map()));
  const cached = parsed.get(surveyId);
  if (cached && cached.version === publication.version && cached.publishedAt === publication.publishedAt) return cached.document;
  const document = JSON.parse(statement(db, 'SELECT document_json FROM published_results WHERE survey_id = ?').pluck().get(surveyId) as string) as ResultsDocument;
  parsed.set(surveyId, { version: publication.version, publishedAt: publication.publishedAt, document });
  return document;
}
