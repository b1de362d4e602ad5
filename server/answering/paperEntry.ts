import { listAgencies, listAllUnits } from '../agencies/store.js';
import { noteChange } from '../platform/changes.js';
import { dayIn, type Clock } from '../platform/clock.js';
import { statement, type Db } from '../platform/db.js';
import { InputError } from '../platform/errors.js';
import { translator } from '../platform/i18n.js';
import { emptyReport, readTable, requireColumns, type ImportReport, type RowProblem, type TableRow } from '../platform/tabular.js';
import { dimensionScoresOf } from '../scoring/index.js';
import { qualityFlags } from '../scoring/quality.js';
import { requireSurvey } from '../surveys/service.js';
import type { SurveyRecord } from '../surveys/store.js';
import { findIncompleteItems, normalizeAnswer, questionnaireItems, visibleItemCodes, type Answers } from './rules.js';
import { newResponseId } from './service.js';
import { insertResponse } from './store.js';
import { problemMessage } from './viewModel.js';

/** Paper and offline entry (interfaces.md §1, responses): every row is checked exactly as a web
 * answer is (values, skip logic, required items); imported responses are anonymous like web ones,
 * marked as imported; `entry_id` makes a re-import change nothing. */

const t = translator('en');

interface ParsedResponse {
  line: number;
  agencyId: number;
  groupCode: string;
  unitId: number | null;
  entryId: string | null;
  durationSeconds: number | null;
  answers: Answers;
}

function parseRow(row: TableRow, survey: SurveyRecord, lookup: RowLookup): { response?: ParsedResponse; problems: RowProblem[] } {
  const problems: RowProblem[] = [];
  const cell = (column: string) => row.cells[column] ?? '';
  const problem = (column: string, message: string) => problems.push({ line: row.line, column, message });

  const agency = lookup.agencies.get(cell('agency_code').toLowerCase());
  if (cell('agency_code') === '') problem('agency_code', 'is required');
  else if (!agency) problem('agency_code', `no agency with code "${cell('agency_code').slice(0, 40)}" is registered`);

  const groupCode = cell('group');
  const questionnaire = survey.definition.questionnaires[groupCode];
  if (!questionnaire) problem('group', `"${groupCode.slice(0, 40)}" is not a group of this survey (${Object.keys(survey.definition.groups).join(', ')})`);

  let unitId: number | null = null;
  if (cell('unit') !== '' && agency) {
    unitId = agency.units.get(cell('unit').toLowerCase()) ?? null;
    if (unitId === null) problem('unit', `"${cell('unit').slice(0, 60)}" is not a unit of agency ${agency.code}`);
  }
  const entryId = cell('entry_id') || null;
  if (entryId !== null && entryId.length > 100) problem('entry_id', 'must be at most 100 characters');
  let durationSeconds: number | null = null;
  if (cell('duration_seconds') !== '') {
    if (!/^\d{1,7}$/.test(cell('duration_seconds'))) problem('duration_seconds', 'must be a whole number of seconds');
    else durationSeconds = Number(cell('duration_seconds'));
  }
  if (!questionnaire || !agency) return { problems };

  const answers: Answers = {};
  const ownItems = questionnaireItems(questionnaire);
  for (const item of ownItems) {
    const text = cell(item.code.toLowerCase());
    if (text === '') continue;
    const checked = normalizeAnswer(item, item.type === 'multi' ? text.split('|').map((part) => part.trim()).filter(Boolean) : text);
    if ('problem' in checked) problem(item.code, problemMessage(checked.problem, t));
    else if (checked.value !== null) answers[item.code] = checked.value;
  }
  const own = new Set(ownItems.map((item) => item.code.toLowerCase()));
  for (const [column, value] of Object.entries(row.cells)) {
    const other = lookup.allItems.get(column);
    if (other && !own.has(column) && value !== '') problem(other, `is not a question of the "${groupCode}" questionnaire: leave it empty`);
  }
  const visible = visibleItemCodes(questionnaire, answers);
  for (const code of Object.keys(answers)) {
    const gate = ownItems.find((item) => item.code === code)!.showIf;
    if (!visible.has(code)) problem(code, `is answered, but the questionnaire skips it (${gate!.item} is not ${gate!.in.join(' or ')})`);
  }
  for (const missing of findIncompleteItems(questionnaire, answers)) {
    // an item whose cell was refused above is already reported once
    if (missing.code === 'required' && !problems.some((earlier) => earlier.column === missing.item)) problem(missing.item, problemMessage(missing, t));
  }
  if (problems.length > 0) return { problems };
  return { response: { line: row.line, agencyId: agency.id, groupCode, unitId, entryId, durationSeconds, answers }, problems };
}

interface RowLookup {
  agencies: Map<string, { id: number; code: string; units: Map<string, number> }>;
  /** every item code of the survey, lower-cased → as written */
  allItems: Map<string, string>;
}

export async function importResponses(db: Db, clock: Clock, timeZone: string, surveyCode: string, content: Buffer): Promise<ImportReport> {
  const survey = requireSurvey(db, surveyCode);
  if (survey.status === 'draft') throw new InputError(`Survey ${survey.code} is a draft: its questionnaires may still change. Open it first.`);
  const table = await readTable(content);
  requireColumns(table, ['agency_code', 'group']);

  const agencies: RowLookup['agencies'] = new Map(listAgencies(db).map((agency) => [agency.code.toLowerCase(), { id: agency.id, code: agency.code, units: new Map() }]));
  const byId = new Map([...agencies.values()].map((agency) => [agency.id, agency]));
  for (const unit of listAllUnits(db)) byId.get(unit.agencyId)?.units.set(unit.name.toLowerCase(), unit.id);
  const allItems = new Map(Object.values(survey.definition.questionnaires).flatMap((questionnaire) => questionnaireItems(questionnaire).map((item) => [item.code.toLowerCase(), item.code] as const)));
  const itemColumns = table.headers.filter((header) => allItems.has(header));
  if (itemColumns.length === 0) throw new InputError('The file has no column named after an item code of this survey.');

  const knownEntries = new Set(statement(db, 'SELECT entry_id FROM responses WHERE survey_id = ? AND entry_id IS NOT NULL').pluck().all(survey.id) as string[]);
  const entryLines = new Map<string, number>();
  const report = emptyReport();
  report.rows = table.rows.length;
  const accepted: ParsedResponse[] = [];
  for (const row of table.rows) {
    const { response, problems } = parseRow(row, survey, { agencies, allItems });
    if (!response) {
      report.errors.push(...problems);
      continue;
    }
    if (response.entryId !== null) {
      if (knownEntries.has(response.entryId)) {
        report.duplicates++;
        report.duplicateLines.push({ line: row.line, column: 'entry_id', message: `entry "${response.entryId}" was already imported` });
        continue;
      }
      const earlier = entryLines.get(response.entryId);
      if (earlier !== undefined) {
        report.errors.push({ line: row.line, column: 'entry_id', message: `"${response.entryId}" already appears on line ${earlier}` });
        continue;
      }
      entryLines.set(response.entryId, row.line);
    }
    accepted.push(response);
  }

  const today = dayIn(clock.now(), timeZone);
  db.transaction(() => {
    for (const response of accepted) {
      const questionnaire = survey.definition.questionnaires[response.groupCode]!;
      const flags = qualityFlags(survey.definition.quality, questionnaire, response.answers, response.durationSeconds);
      insertResponse(
        db,
        {
          id: newResponseId(),
          surveyId: survey.id,
          agencyId: response.agencyId,
          groupCode: response.groupCode,
          unitId: response.unitId,
          questionnaireVersion: survey.version,
          submittedOn: today,
          durationSeconds: response.durationSeconds,
          source: 'import',
          entryId: response.entryId,
          flagSpeeder: flags.speeder,
          flagStraightliner: flags.straightliner,
        },
        response.answers,
        dimensionScoresOf(questionnaire, response.answers),
      );
    }
  })();
  if (accepted.length > 0) noteChange(db, 'results');
  report.stored = accepted.length;
  report.rejected = report.rows - report.stored - report.duplicates;
  report.errors.sort((a, b) => a.line - b.line);
  const withoutEntryId = accepted.filter((response) => response.entryId === null).map((response) => response.line);
  if (withoutEntryId.length > 0) {
    report.warnings.push(
      `${withoutEntryId.length} stored row(s) have no entry_id (line${withoutEntryId.length > 1 ? 's' : ''} ${withoutEntryId.slice(0, 10).join(', ')}${withoutEntryId.length > 10 ? ', …' : ''}): importing this file again would add them again. Give every paper form an entry_id to make re-imports safe.`,
    );
  }
  return report;
}
