import type { Answers } from '../answering/rules.js';
import { questionnaireItems } from '../answering/rules.js';
import type { Questionnaire, SurveyDefinition } from '../surveys/schema.js';

export interface QualityFlags {
  speeder: boolean;
  straightliner: boolean;
}

/** The automatic data-quality flags of scoring.md §6, set when a response is stored. */
export function qualityFlags(
  quality: SurveyDefinition['quality'],
  questionnaire: Questionnaire,
  answers: Answers,
  durationSeconds: number | null,
): QualityFlags {
  const speeder = quality?.minSeconds !== undefined && durationSeconds !== null && durationSeconds < quality.minSeconds;
  let straightliner = false;
  if (quality?.straightlineMinItems !== undefined) {
    const scaleAnswers = questionnaireItems(questionnaire)
      .filter((item) => item.scale && answers[item.code] !== undefined)
      .map((item) => String(answers[item.code]));
    straightliner = scaleAnswers.length >= quality.straightlineMinItems && new Set(scaleAnswers).size === 1;
  }
  return { speeder, straightliner };
}
