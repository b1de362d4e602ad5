import { readFileSync } from 'node:fs';
import path from 'node:path';
import { importAgencies } from './agencies/service.js';
import { findAgencyByCode } from './agencies/store.js';
import { addAction } from './followUp/service.js';
import { exportLinks } from './invitations/service.js';
import { addDays, dayIn, type Clock } from './platform/clock.js';
import type { Db } from './platform/db.js';
import { seedsDir } from './platform/paths.js';
import { addStaff } from './staff/service.js';
import { importRespondents } from './respondents/service.js';
import { changeSurveyStatus, loadSurveyDefinition, parseDefinitionText, requireSurvey } from './surveys/service.js';
import { openQuestionnaire, submitQuestionnaire } from './answering/service.js';
import { questionnaireItems, visibleItemCodes, type Answers } from './answering/rules.js';
import type { Questionnaire } from './surveys/schema.js';

export function databaseIsEmpty(db: Db): boolean {
  return (db.prepare('SELECT COUNT(*) FROM surveys').pluck().get() as number) === 0;
}

/** Demo accounts, one per role; the passwords are printed at start and only exist in the demo. */
export const DEMO_ACCOUNTS = [
  { email: 'admin@demo.integritas.id', role: 'administrator', password: 'demo-admin-2026' },
  { email: 'inspektur@demo.integritas.id', role: 'inspector', password: 'demo-inspektur-2026' },
  { email: 'kupang@demo.integritas.id', role: 'liaison', agencyCode: 'KOTA-KUPANG', password: 'demo-kupang-2026' },
] as const;

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
  const answered = answerSomeDemoInvitations(db, clock, secretKey, publicUrl, survey.code, timeZone);
  const sampleLinks: DemoSummary['sampleLinks'] = [];
  const seenGroups = new Set<string>();
  for (const row of exportLinks(db, secretKey, publicUrl, survey.code, {})) {
    if (seenGroups.has(row.group) || answered.has(row.link)) continue;
    seenGroups.add(row.group);
    sampleLinks.push({ agency: row.agency, group: row.group, name: row.name, link: row.link });
  }
  for (const account of DEMO_ACCOUNTS) await addStaff(db, clock, { ...account }, 'demo');
  addDemoFollowUp(db, clock, survey.code, today);
  return { surveyCode: survey.code, respondents: report.stored, sampleLinks };
}

/** Two follow-up actions for Kota Kupang, one of them overdue, so that its results page shows what
 * planning them looks like (the survey is open, so administrators see them). */
function addDemoFollowUp(db: Db, clock: Clock, surveyCode: string, today: string): void {
  const survey = requireSurvey(db, surveyCode);
  const kupang = findAgencyByCode(db, 'KOTA-KUPANG')!;
  const planner = DEMO_ACCOUNTS[0].email;
  addAction(db, clock, survey, kupang.id, { title: 'Umumkan standar biaya dan waktu layanan di semua loket', dimension: 'transparency', owner: 'Dinas Penanaman Modal dan PTSP', dueOn: addDays(today, 90), status: 'planned', progress: '' }, planner);
  addAction(
    db,
    clock,
    survey,
    kupang.id,
    { title: 'Tinjau ulang SOP pengadaan barang dan jasa', dimension: 'procurement', owner: 'Bagian Pengadaan Barang dan Jasa', dueOn: addDays(today, -3), status: 'in_progress', progress: 'Draf SOP dibahas bersama inspektorat.' },
    planner,
  );
}

/** A small deterministic random source, so the demo looks the same on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
}

/** A complete, valid set of answers, leaning towards better answers for higher `tilt` (0..1). */
export function demoAnswers(questionnaire: Questionnaire, random: () => number, tilt: number): Answers {
  const answers: Answers = {};
  for (const item of questionnaireItems(questionnaire)) {
    if (!visibleItemCodes(questionnaire, answers).has(item.code)) continue;
    if (item.type === 'single') {
      const scored = item.options!.filter((option) => typeof option.score === 'number');
      if (scored.length === 0 || random() < 0.3) answers[item.code] = item.options![Math.floor(random() * item.options!.length)]!.value;
      else {
        const sorted = [...scored].sort((a, b) => a.score! - b.score!);
        const position = Math.min(sorted.length - 1, Math.floor((tilt * 0.7 + random() * 0.6) * sorted.length));
        answers[item.code] = (random() < 0.05 ? item.options!.find((option) => option.score === null) ?? sorted[position]! : sorted[position]!).value;
      }
    } else if (item.type === 'multi') answers[item.code] = [item.options![Math.floor(random() * item.options!.length)]!.value];
    else if (item.type === 'number') answers[item.code] = Math.round((item.min ?? 1) + random() * Math.min(20, (item.max ?? 20) - (item.min ?? 1)));
  }
  return answers;
}

/** About two thirds of the demo respondents have answered (one agency too few), so the
 * monitoring and results pages have something to show. Returns the links now used. */
function answerSomeDemoInvitations(db: Db, clock: Clock, secretKey: Buffer, publicUrl: string, surveyCode: string, timeZone: string): Set<string> {
  const random = seededRandom(2026);
  const survey = requireSurvey(db, surveyCode);
  const tiltByAgency: Record<string, number> = { 'PROV-NTT': 0.8, 'KOTA-KUPANG': 0.55, 'KAB-SIKKA': 0.35, 'KEM-DEMO': 0.9 };
  const used = new Set<string>();
  const perAgencyGroup = new Map<string, number>();
  // read all links first: the statement cannot stay open while submissions write
  for (const row of [...exportLinks(db, secretKey, publicUrl, surveyCode, {})]) {
    const key = `${row.agency}|${row.group}`;
    const done = perAgencyGroup.get(key) ?? 0;
    const wanted = row.agency === 'KAB-SIKKA' && row.group === 'internal' ? 2 : row.group === 'internal' ? 4 : row.group === 'external' ? 3 : 1;
    if (done >= wanted) continue;
    const token = row.link.slice(row.link.lastIndexOf('/') + 1);
    const answers = demoAnswers(survey.definition.questionnaires[row.group]!, random, tiltByAgency[row.agency] ?? 0.5);
    // opened a while ago, so the duration is realistic (not a speeder)
    const context = { db, clock: { now: () => new Date(clock.now().getTime() - (300 + Math.floor(random() * 900)) * 1000) }, timeZone };
    openQuestionnaire(context, token);
    submitQuestionnaire({ db, clock, timeZone }, token, answers);
    perAgencyGroup.set(key, done + 1);
    used.add(row.link);
  }
  return used;
}
