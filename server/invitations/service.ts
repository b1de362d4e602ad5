import type { Db } from '../platform/db.js';
import { requireSurvey } from '../surveys/service.js';
import { iterateLinkRows } from './store.js';
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
