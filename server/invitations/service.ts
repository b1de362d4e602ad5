import { findAgencyByCode } from '../agencies/store.js';
import type { Db } from '../platform/db.js';
import { NotFoundError } from '../platform/errors.js';
import { requireSurvey } from '../surveys/service.js';
import type { SurveyRecord } from '../surveys/store.js';
import { findContactRecord, iterateLinkRows, type ContactRecord } from './store.js';
import { deriveInvitationToken, invitationLink } from './tokens.js';

export interface LinkExportRow {
  agency: string;
  unit: string;
  group: string;
  name: string;
  email: string;
  phone: string;
  link: string;
}

/** Every respondent's personal link, re-derived from the stored seed and the server secret. */
export function* exportLinks(
  db: Db,
  secretKey: Buffer,
  publicUrl: string,
  surveyCode: string,
  filter: { agencyCode?: string; groupCode?: string },
): Generator<LinkExportRow> {
  const survey = requireSurvey(db, surveyCode);
  for (const row of iterateLinkRows(db, survey.id, filter)) {
    yield {
      agency: row.agencyCode,
      unit: row.unit ?? '',
      group: row.groupCode,
      name: row.name,
      email: row.email ?? '',
      phone: row.phone ?? '',
      link: invitationLink(publicUrl, deriveInvitationToken(secretKey, row.tokenSeed)),
    };
  }
}

/** The respondent a staff page or command about one respondent names (contact correction,
 * withdrawal, details). */
export interface RespondentTarget {
  surveyCode: string;
  agencyCode: string;
  respondentId: number;
}

/** That respondent in `survey` (whose status the caller has checked for what it allows), with
 * their invitation, or NotFound. */
export function requireRespondentRecord(db: Db, survey: SurveyRecord, target: RespondentTarget): ContactRecord & { surveyId: number; agencyId: number } {
  const agency = findAgencyByCode(db, target.agencyCode);
  const record = agency ? findContactRecord(db, survey.id, agency.id, target.respondentId) : undefined;
  if (!agency || !record) throw new NotFoundError(`No respondent ${target.respondentId} in ${target.agencyCode} for survey ${target.surveyCode}`);
  return { ...record, surveyId: survey.id, agencyId: agency.id };
}
