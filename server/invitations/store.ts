import { statement, type Db } from '../platform/db.js';

export type InvitationStatus = 'new' | 'opened' | 'in_progress' | 'completed';

export function insertInvitation(db: Db, invitation: { respondentId: number; surveyId: number; tokenSeed: string; tokenHash: string; language: string }): number {
  return Number(
    statement(db, 'INSERT INTO invitations (respondent_id, survey_id, token_seed, token_hash, language) VALUES (?, ?, ?, ?, ?)').run(
      invitation.respondentId,
      invitation.surveyId,
      invitation.tokenSeed,
      invitation.tokenHash,
      invitation.language,
    ).lastInsertRowid,
  );
}

export interface LinkRow {
  agencyCode: string;
  unit: string | null;
  groupCode: string;
  name: string;
  email: string | null;
  phone: string | null;
  tokenSeed: string;
}

/** Respondents with their invitation's seed, for `links export`; streamed, a national round is large. */
export function iterateLinkRows(db: Db, surveyId: number, filter: { agencyCode?: string; groupCode?: string }): IterableIterator<LinkRow> {
  return statement(
    db,
    `SELECT a.code AS agencyCode, u.name AS unit, r.group_code AS groupCode, r.name, r.email, r.phone, i.token_seed AS tokenSeed
       FROM invitations i
       JOIN respondents r ON r.id = i.respondent_id
       JOIN agencies a ON a.id = r.agency_id
       LEFT JOIN agency_units u ON u.id = r.unit_id
      WHERE i.survey_id = ?
        AND (? IS NULL OR a.code = ?)
        AND (? IS NULL OR r.group_code = ?)
      ORDER BY a.code, r.group_code, r.id`,
  ).iterate(surveyId, filter.agencyCode ?? null, filter.agencyCode ?? null, filter.groupCode ?? null, filter.groupCode ?? null) as IterableIterator<LinkRow>;
}
