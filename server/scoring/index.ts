import { visibleItemCodes, type Answers } from '../answering/rules.js';
import type { Questionnaire, SurveyDefinition } from '../surveys/schema.js';

/** The integrity index of shared/spec/scoring.md, as pure functions: responses in, results
 * out, no I/O. Responses are folded into running sums one at a time, so a national round never
 * has to sit in memory. */

export interface ScoredResponse {
  agencyId: number;
  group: string;
  /** the questionnaire version the response was given under */
  version: number;
  answers: Answers;
  flags: { speeder: boolean; straightliner: boolean; manual: boolean; cleared: boolean };
}

/** §6: excluded when a flag is set; a cleared automatic flag counts again; manual always excludes. */
export function isExcluded(flags: ScoredResponse['flags']): boolean {
  return flags.manual || (!flags.cleared && (flags.speeder || flags.straightliner));
}

interface ItemScoring {
  dimension: string;
  weight: number;
  scoreByValue: Map<string, number | null>;
}

/** Per questionnaire: the scored items and each option's score, prepared once. */
interface QuestionnaireScoring {
  questionnaire: Questionnaire;
  hasSkipLogic: boolean;
  items: Map<string, ItemScoring>;
}

function prepareQuestionnaire(questionnaire: Questionnaire): QuestionnaireScoring {
  const items = new Map<string, ItemScoring>();
  let hasSkipLogic = false;
  for (const page of questionnaire.pages) {
    for (const item of page.items) {
      if (item.showIf) hasSkipLogic = true;
      if (item.type !== 'single' || item.dimension === undefined) continue;
      items.set(item.code, {
        dimension: item.dimension,
        weight: item.weight ?? 1,
        scoreByValue: new Map(item.options!.map((option) => [option.value, option.score ?? null])),
      });
    }
  }
  return { questionnaire, hasSkipLogic, items };
}

const preparedQuestionnaires = new WeakMap<Questionnaire, QuestionnaireScoring>();

/** §2 for a questionnaire as defined: what is stored with each response when it is written. */
export function dimensionScoresOf(questionnaire: Questionnaire, answers: Answers): Map<string, number> {
  let scoring = preparedQuestionnaires.get(questionnaire);
  if (!scoring) {
    scoring = prepareQuestionnaire(questionnaire);
    preparedQuestionnaires.set(questionnaire, scoring);
  }
  return responseDimensionScores(scoring, answers);
}

/** §2: s(r, d) for every dimension d where it is defined. */
export function responseDimensionScores(scoring: QuestionnaireScoring, answers: Answers): Map<string, number> {
  const visible = scoring.hasSkipLogic ? visibleItemCodes(scoring.questionnaire, answers) : null;
  const sums = new Map<string, { weighted: number; weights: number }>();
  for (const [code, value] of Object.entries(answers)) {
    const item = scoring.items.get(code);
    if (!item || (visible && !visible.has(code))) continue;
    const score = item.scoreByValue.get(String(value));
    if (score === null || score === undefined) continue; // "don't know" and unknown values are not scored
    const sum = sums.get(item.dimension) ?? { weighted: 0, weights: 0 };
    sum.weighted += item.weight * score;
    sum.weights += item.weight;
    sums.set(item.dimension, sum);
  }
  return new Map([...sums].map(([dimension, sum]) => [dimension, sum.weighted / sum.weights]));
}

export interface Correction {
  points: number;
  reason: string;
}

export interface GroupResult {
  responses: number;
  excluded: number;
  sufficient: boolean;
  component: number | null;
  dimensions: Record<string, { score: number; n: number }>;
}

export interface AgencyResult {
  status: 'ok' | 'insufficient';
  index: number | null;
  indexRaw: number | null;
  category: string | null;
  corrections: Correction[];
  groups: Record<string, GroupResult>;
}

export interface OverallResult {
  mean: number | null;
  agencies: number;
  categories: Record<string, number>;
}

interface GroupSums {
  responses: number;
  excluded: number;
  dimensions: Map<string, { sum: number; n: number }>;
}

export class ScoreAccumulator {
  private readonly questionnaires = new Map<string, QuestionnaireScoring>();
  private readonly agencies = new Map<number, Map<string, GroupSums>>();

  /** definitions by questionnaire version; the current one gives groups, weights and categories */
  constructor(
    private readonly current: SurveyDefinition,
    private readonly versions: ReadonlyMap<number, SurveyDefinition>,
  ) {}

  private scoringFor(version: number, group: string): QuestionnaireScoring {
    const key = `${version}|${group}`;
    let scoring = this.questionnaires.get(key);
    if (!scoring) {
      const questionnaire = (this.versions.get(version) ?? this.current).questionnaires[group];
      if (!questionnaire) throw new Error(`no questionnaire for group ${group} in version ${version}`);
      scoring = prepareQuestionnaire(questionnaire);
      this.questionnaires.set(key, scoring);
    }
    return scoring;
  }

  private groupSums(agencyId: number, group: string): GroupSums {
    let groups = this.agencies.get(agencyId);
    if (!groups) {
      groups = new Map();
      this.agencies.set(agencyId, groups);
    }
    let sums = groups.get(group);
    if (!sums) {
      sums = { responses: 0, excluded: 0, dimensions: new Map() };
      groups.set(group, sums);
    }
    return sums;
  }

  /** Makes sure an agency appears even without responses (it is on a respondent list). */
  addAgency(agencyId: number): void {
    if (!this.agencies.has(agencyId)) this.agencies.set(agencyId, new Map());
  }

  /** §1–3: one submitted or imported response. */
  add(response: ScoredResponse): void {
    const sums = this.groupSums(response.agencyId, response.group);
    if (isExcluded(response.flags)) {
      sums.excluded++;
      return;
    }
    sums.responses++;
    for (const [dimension, score] of responseDimensionScores(this.scoringFor(response.version, response.group), response.answers)) {
      const dimensionSums = sums.dimensions.get(dimension) ?? { sum: 0, n: 0 };
      dimensionSums.sum += score;
      dimensionSums.n++;
      sums.dimensions.set(dimension, dimensionSums);
    }
  }

  /** §1–3 from sums computed by the database: eligible and excluded counts of (a, g), and per
   * dimension the sum and count of s(r, d) over eligible responses. */
  addAggregate(agencyId: number, group: string, counts: { responses: number; excluded: number }, dimensions: { dimension: string; sum: number; n: number }[]): void {
    const sums = this.groupSums(agencyId, group);
    sums.responses += counts.responses;
    sums.excluded += counts.excluded;
    for (const { dimension, sum, n } of dimensions) {
      const dimensionSums = sums.dimensions.get(dimension) ?? { sum: 0, n: 0 };
      dimensionSums.sum += sum;
      dimensionSums.n += n;
      sums.dimensions.set(dimension, dimensionSums);
    }
  }

  agencyIds(): number[] {
    return [...this.agencies.keys()];
  }

  /** §3–5 for one agency. */
  agencyResult(agencyId: number, corrections: Correction[] = []): AgencyResult {
    const groups: Record<string, GroupResult> = {};
    const sumsByGroup = this.agencies.get(agencyId) ?? new Map<string, GroupSums>();
    for (const [group, settings] of Object.entries(this.current.groups)) {
      const sums = sumsByGroup.get(group) ?? { responses: 0, excluded: 0, dimensions: new Map() };
      const dimensions: GroupResult['dimensions'] = {};
      for (const dimension of this.current.dimensions) {
        const dimensionSums = sums.dimensions.get(dimension.code);
        if (dimensionSums && dimensionSums.n > 0) dimensions[dimension.code] = { score: dimensionSums.sum / dimensionSums.n, n: dimensionSums.n };
      }
      const scores = Object.values(dimensions).map((dimension) => dimension.score);
      groups[group] = {
        responses: sums.responses,
        excluded: sums.excluded,
        sufficient: sums.responses >= settings.minResponses,
        component: scores.length === 0 ? null : scores.reduce((sum, score) => sum + score, 0) / scores.length,
        dimensions,
      };
    }
    const weighted = Object.entries(this.current.groups).filter(([, settings]) => settings.weight > 0);
    // A group with weight must be sufficient and have a component for the index to exist.
    const complete = weighted.every(([group]) => groups[group]!.sufficient && groups[group]!.component !== null);
    if (!complete) return { status: 'insufficient', index: null, indexRaw: null, category: null, corrections, groups };
    const indexRaw = weighted.reduce((sum, [group, settings]) => sum + settings.weight * groups[group]!.component!, 0);
    const index = Math.min(100, Math.max(0, indexRaw - corrections.reduce((sum, correction) => sum + correction.points, 0)));
    return { status: 'ok', index, indexRaw, category: categoryOf(this.current, index), corrections, groups };
  }
}

/** §5: the first category (highest first) whose min is at most the index. */
export function categoryOf(definition: Pick<SurveyDefinition, 'categories'>, index: number): string {
  return (definition.categories.find((category) => category.min <= index) ?? definition.categories[definition.categories.length - 1]!).code;
}

/** §7 over the agencies' results. */
export function overallResult(definition: Pick<SurveyDefinition, 'categories'>, agencies: Pick<AgencyResult, 'status' | 'index' | 'category'>[]): OverallResult {
  const ok = agencies.filter((agency) => agency.status === 'ok');
  const categories = Object.fromEntries(definition.categories.map((category) => [category.code, 0]));
  for (const agency of ok) categories[agency.category!]! += 1;
  return {
    mean: ok.length === 0 ? null : ok.reduce((sum, agency) => sum + agency.index!, 0) / ok.length,
    agencies: ok.length,
    categories,
  };
}
