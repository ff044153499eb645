import type { Reward } from '../rubric/aggregate/reward-schema.ts';
import { criterionDisagreement } from '../rubric/judge/disagreement.ts';

/**
 * Where the judge disagreed with itself on a response, pure: read from its rewards' explanations,
 * which keep each criterion's judge samples (judge config `samples` > 1). A criterion disagrees when
 * its scored samples are not all equal, as in the step's `judge/disagreement_rate`
 * (src/rubric/judge/disagreement.ts). The monitor sets `judgeDisagreesOn` of a response from it.
 */

/** A criterion of one of the response's rubrics. */
export interface RubricCriterion {
  rubricId: string;
  criterionId: string;
}

/**
 * The criteria whose scored samples disagree (in the order of the rubrics and their criteria), empty
 * when every criterion with two or more scored samples agrees, undefined when no criterion has two
 * scored samples (the judge asked once, only verifiers, or nothing scored): then there is nothing to
 * compare, which is not agreement.
 */
export function criteriaJudgeDisagreesOn(
  rubrics: readonly { rubricId: string; reward: Reward }[],
): RubricCriterion[] | undefined {
  let compared = false;
  const disagreed: RubricCriterion[] = [];
  for (const { rubricId, reward } of rubrics) {
    for (const c of reward.explanation.criteria) {
      const scores = (c.samples ?? []).flatMap((s) => (s.status === 'scored' ? [s.tierScore] : []));
      const d = criterionDisagreement({ scores, topScore: c.topScore });
      if (d === undefined) continue;
      compared = true;
      if (d.disagree) disagreed.push({ rubricId, criterionId: c.id });
    }
  }
  return compared ? disagreed : undefined;
}
