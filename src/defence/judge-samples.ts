import type { Reward } from '../rubric/aggregate/reward-schema.ts';
import { criterionDisagreement } from '../rubric/judge/disagreement.ts';

/**
 * Whether the judge disagreed with itself on a response, pure: read from its rewards' explanations,
 * which keep each criterion's judge samples (judge config `samples` > 1). A criterion disagrees when
 * its scored samples are not all equal, as in the step's `judge/disagreement_rate`
 * (src/rubric/judge/disagreement.ts). The monitor sets `judgeDisagrees` of a response from it.
 */

/**
 * True when the samples of at least one criterion disagree, false when every criterion with two or
 * more scored samples agrees, undefined when no criterion has two scored samples (the judge asked
 * once, only verifiers, or nothing scored): then there is nothing to compare, which is not agreement.
 */
export function judgeSamplesDisagree(rewards: readonly Reward[]): boolean | undefined {
  let compared = false;
  for (const reward of rewards) {
    for (const c of reward.explanation.criteria) {
      const scores = (c.samples ?? []).flatMap((s) => (s.status === 'scored' ? [s.tierScore] : []));
      const d = criterionDisagreement({ scores, topScore: c.topScore });
      if (d === undefined) continue;
      if (d.disagree) return true;
      compared = true;
    }
  }
  return compared ? false : undefined;
}
