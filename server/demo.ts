import { readFileSync } from 'node:fs';
import path from 'node:path';
import { importAgencies } from './agencies/service.js';
import { exportLinks } from './invitations/service.js';
import { addDays, dayIn, type Clock } from './platform/clock.js';
import type { Db } from './platform/db.js';
import { seedsDir } from './platform/paths.js';
import { importRespondents } from './respondents/service.js';
import { changeSurveyStatus, loadSurveyDefinition, parseDefinitionText } from './surveys/service.js';

export function databaseIsEmpty(db: Db): boolean {
  return (db.prepare('SELECT COUNT(*) FROM surveys').pluck().get() as number) === 0;
}

export interface DemoSummary {
  surveyCode: string;
  respondents: number;
  sampleLinks: { agency: string; group: string; name: string; link: string }[];
}

/** Loads the demo survey (open from a week ago for 60 days, whatever today is), the demo
 * agencies with their units, and the demo respondents. */
export async function loadDemo(db: Db, clock: Clock, secretKey: Buffer, publicUrl: string, timeZone: string): Promise<DemoSummary> {
  const definition = parseDefinitionText(readFileSync(path.join(seedsDir, 'demo-survey.json'), 'utf8'));
  const today = dayIn(clock.now(), timeZone);
  const { survey } = loadSurveyDefinition(db, clock, { ...definition, opens: addDays(today, -7), closes: addDays(today, 60) });
  changeSurveyStatus(db, clock, survey.code, 'open');
  await importAgencies(db, clock, readFileSync(path.join(seedsDir, 'demo-agencies.csv')));
  const report = await importRespondents(db, clock, secretKey, survey.code, readFileSync(path.join(seedsDir, 'demo-respondents.csv')));
  const sampleLinks: DemoSummary['sampleLinks'] = [];
  const seenGroups = new Set<string>();
  for (const row of exportLinks(db, secretKey, publicUrl, survey.code, {})) {
    if (seenGroups.has(row.group)) continue;
    seenGroups.add(row.group);
    sampleLinks.push({ agency: row.agency, group: row.group, name: row.name, link: row.link });
  }
  return { surveyCode: survey.code, respondents: report.stored, sampleLinks };
}
