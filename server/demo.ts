import { readFileSync } from 'node:fs';
import path from 'node:path';
import { importAgencies } from './agencies/service.js';
import { findAgencyByCode } from './agencies/store.js';
import { addAction, type ActionForm } from './followUp/service.js';
import { exportLinks } from './invitations/service.js';
import { addDays, dayIn, type Clock } from './platform/clock.js';
import type { Db } from './platform/db.js';
import { seedsDir } from './platform/paths.js';
import { publishResults } from './results/publication.js';
import { computeResults } from './results/service.js';
import { addStaff } from './staff/service.js';
import { appendAudit } from './staff/store.js';
import { eraseContacts } from './respondents/erasure.js';
import { importRespondents } from './respondents/service.js';
import { changeSurveyStatus, loadSurveyDefinition, parseDefinitionText, requireSurvey } from './surveys/service.js';
import { openQuestionnaire, submitQuestionnaire } from './answering/service.js';
import { questionnaireItems, visibleItemCodes, type Answers } from './answering/rules.js';
import type { LocalizedText, Questionnaire, SurveyDefinition } from './surveys/schema.js';

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
  /** The closed round a year earlier, with its results published. */
  earlierSurveyCode: string;
  respondents: number;
  sampleLinks: { agency: string; group: string; name: string; link: string }[];
}

const DAY_MS = 86_400_000;

/** How well each demo agency answers (0..1), this round and the one a year earlier: Kota Kupang
 * improved after its follow-up actions, Kabupaten Sikka slipped. */
const CURRENT_TILTS: Record<string, number> = { 'PROV-NTT': 0.8, 'KOTA-KUPANG': 0.55, 'KAB-SIKKA': 0.35, 'KEM-DEMO': 0.9 };
const EARLIER_TILTS: Record<string, number> = { 'PROV-NTT': 0.7, 'KOTA-KUPANG': 0.3, 'KAB-SIKKA': 0.45, 'KEM-DEMO': 0.85 };

/** Loads the demo survey (open from a week ago for 60 days, whatever today is), the demo
 * agencies with their units, and the demo respondents; and the same survey a year earlier, closed
 * with its results published, so that trends, changes since the previous round, the previous
 * round's follow-up actions and the public results pages have something to show. */
export async function loadDemo(db: Db, clock: Clock, secretKey: Buffer, publicUrl: string, timeZone: string): Promise<DemoSummary> {
  const definition = parseDefinitionText(readFileSync(path.join(seedsDir, 'demo-survey.json'), 'utf8'));
  const today = dayIn(clock.now(), timeZone);
  await importAgencies(db, clock, readFileSync(path.join(seedsDir, 'demo-agencies.csv')));
  const earlierSurveyCode = await loadEarlierRound(db, clock, secretKey, publicUrl, timeZone, definition);

  const { survey } = loadSurveyDefinition(db, clock, { ...definition, title: titleOfYear(definition.title, today.slice(0, 4)), opens: addDays(today, -7), closes: addDays(today, 60) });
  changeSurveyStatus(db, clock, survey.code, 'open');
  const report = await importRespondents(db, clock, secretKey, survey.code, readFileSync(path.join(seedsDir, 'demo-respondents.csv')));
  const answered = answerSomeDemoInvitations(db, clock, secretKey, publicUrl, survey.code, timeZone, CURRENT_TILTS, 2026);
  const sampleLinks: DemoSummary['sampleLinks'] = [];
  const seenGroups = new Set<string>();
  for (const row of exportLinks(db, secretKey, publicUrl, survey.code, {})) {
    if (seenGroups.has(row.group) || answered.has(row.link)) continue;
    seenGroups.add(row.group);
    sampleLinks.push({ agency: row.agency, group: row.group, name: row.name, link: row.link });
  }
  for (const account of DEMO_ACCOUNTS) await addStaff(db, clock, { ...account }, 'demo');
  addDemoFollowUp(db, clock, survey.code, today);
  return { surveyCode: survey.code, earlierSurveyCode, respondents: report.stored, sampleLinks };
}

/** "Survei Penilaian Integritas (demo)" → "Survei Penilaian Integritas 2026 (demo)", in each language. */
function titleOfYear(title: LocalizedText, year: string): LocalizedText {
  const withYear = (text: string) => text.replace(/( \(demo\))?$/, (demo) => ` ${year}${demo}`);
  if (typeof title === 'string') return withYear(title);
  return Object.fromEntries(Object.entries(title).map(([language, text]) => [language, withYear(text)])) as LocalizedText;
}

/** The same survey run a year earlier: answered then, closed two months later, its results
 * published two weeks after closing, Kota Kupang's follow-up actions planned the day after, and its
 * respondents' personal data erased two weeks later.
 * Every step runs on a clock set to its own moment, so the dates read as they would have. */
async function loadEarlierRound(db: Db, clock: Clock, secretKey: Buffer, publicUrl: string, timeZone: string, definition: SurveyDefinition): Promise<string> {
  const at = (daysAgo: number): Clock => ({ now: () => new Date(clock.now().getTime() - daysAgo * DAY_MS) });
  const answeredClock = at(365);
  const answeredDay = dayIn(answeredClock.now(), timeZone);
  const year = answeredDay.slice(0, 4);
  const code = `${definition.code}-${year}`;
  loadSurveyDefinition(db, answeredClock, { ...definition, code, title: titleOfYear(definition.title, year), opens: addDays(answeredDay, -7), closes: addDays(answeredDay, 60) });
  changeSurveyStatus(db, answeredClock, code, 'open');
  await importRespondents(db, answeredClock, secretKey, code, readFileSync(path.join(seedsDir, 'demo-respondents.csv')));
  answerSomeDemoInvitations(db, answeredClock, secretKey, publicUrl, code, timeZone, EARLIER_TILTS, 2025);

  const closedClock = at(365 - 61);
  changeSurveyStatus(db, closedClock, code, 'closed');
  const publishedClock = at(365 - 75);
  const admin = DEMO_ACCOUNTS[0].email;
  const publication = publishResults(db, publishedClock, requireSurvey(db, code), admin, computeResults(db, publishedClock, code));
  appendAudit(db, { at: publication.publishedAt, actor: admin, action: 'results.published', detail: { survey: code, publishedAt: publication.publishedAt, demo: true } });

  const plannedClock = at(365 - 76);
  const survey = requireSurvey(db, code);
  const kupang = findAgencyByCode(db, 'KOTA-KUPANG')!;
  const plannedDay = dayIn(plannedClock.now(), timeZone);
  const earlierActions: ActionForm[] = [
    { title: 'Pasang daftar biaya layanan di setiap loket dan di situs web', dimension: 'transparency', owner: 'Dinas Penanaman Modal dan PTSP', dueOn: addDays(plannedDay, 120), status: 'done', progress: 'Daftar biaya terpasang di 12 loket dan di situs web.' },
    { title: 'Wajibkan pernyataan bebas konflik kepentingan bagi panitia pengadaan', dimension: 'procurement', owner: 'Bagian Pengadaan Barang dan Jasa', dueOn: addDays(plannedDay, 90), status: 'done', progress: 'Berlaku sejak triwulan ketiga.' },
    { title: 'Buka kanal pengaduan gratifikasi lewat WhatsApp', dimension: '', owner: 'Inspektorat Daerah', dueOn: addDays(plannedDay, 180), status: 'dropped', progress: 'Digabung dengan kanal pengaduan provinsi.' },
  ];
  for (const form of earlierActions) addAction(db, plannedClock, survey, kupang.id, form, admin);

  // with its results final, its respondents' personal data was erased
  const erasedClock = at(365 - 90);
  const { erased } = await eraseContacts(db, erasedClock, code, admin, timeZone);
  appendAudit(db, { at: erasedClock.now().toISOString(), actor: admin, action: 'respondents.erased', detail: { survey: code, respondents: erased, demo: true } });
  return code;
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
function answerSomeDemoInvitations(
  db: Db,
  clock: Clock,
  secretKey: Buffer,
  publicUrl: string,
  surveyCode: string,
  timeZone: string,
  tiltByAgency: Record<string, number>,
  seed: number,
): Set<string> {
  const random = seededRandom(seed);
  const survey = requireSurvey(db, surveyCode);
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
