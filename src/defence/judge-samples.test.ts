import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregateReward } from '../rubric/aggregate/aggregate-reward.ts';
import { makeCriterion, makeRubric, scored } from '../rubric/aggregate/fixtures.ts';
import { combineSamples } from '../rubric/judge/combine-samples.ts';
import type { Verdict } from '../rubric/verdict.ts';
import { criteriaJudgeDisagreesOn } from './judge-samples.ts';

// clarity: tiers 0/2/4; accuracy: pass/fail.
const rubric = makeRubric({
  criteria: [makeCriterion({ id: 'clarity', tiers: [0, 2, 4] }), makeCriterion({ id: 'accuracy' })],
});
const fail = (id: string): Verdict => ({
  criterionId: id,
  status: 'unscorable',
  reason: 'x',
  evaluator: 't',
});

/** The reward of one response whose criteria were each judged by the samples given. */
const rewardOf = (samples: { clarity: Verdict[]; accuracy: Verdict[] }) =>
  aggregateReward({
    rubric,
    verdicts: [combineSamples({ samples: samples.clarity }), combineSamples({ samples: samples.accuracy })],
  });

/** The criteria disagreed on, as `rubric/criterion` ids, for rewards of rubrics r0, r1, ... */
const disagreedOn = (rewards: ReturnType<typeof rewardOf>[]) =>
  criteriaJudgeDisagreesOn(rewards.map((reward, i) => ({ rubricId: `r${i}`, reward })))?.map(
    (c) => `${c.rubricId}/${c.criterionId}`,
  );

describe("a response's judge samples", () => {
  it('disagree on the criterion whose scored samples are unequal', () => {
    const reward = rewardOf({
      clarity: [scored('clarity', 4), scored('clarity', 4)],
      accuracy: [scored('accuracy', 1), scored('accuracy', 0)],
    });
    assert.deepEqual(disagreedOn([reward]), ['r0/accuracy']);
  });

  it('agree when every compared criterion has equal samples (an unscorable sample is no disagreement)', () => {
    const reward = rewardOf({
      clarity: [scored('clarity', 2), scored('clarity', 2), fail('clarity')],
      accuracy: [scored('accuracy', 1), scored('accuracy', 1)],
    });
    assert.deepEqual(disagreedOn([reward]), []);
  });

  it('say nothing (undefined, not agreement) without two scored samples of any criterion', () => {
    const once = rewardOf({ clarity: [scored('clarity', 4)], accuracy: [scored('accuracy', 0)] });
    assert.equal(disagreedOn([once]), undefined);
    const oneScored = rewardOf({
      clarity: [scored('clarity', 4), fail('clarity')],
      accuracy: [fail('accuracy'), fail('accuracy')],
    });
    assert.equal(disagreedOn([oneScored]), undefined);
    assert.equal(disagreedOn([]), undefined);
  });

  it('are read from every rubric of the response, each criterion named with its rubric', () => {
    const agreeing = rewardOf({
      clarity: [scored('clarity', 4), scored('clarity', 4)],
      accuracy: [scored('accuracy', 1)],
    });
    const disagreeing = rewardOf({
      clarity: [scored('clarity', 0), scored('clarity', 2)],
      accuracy: [scored('accuracy', 1)],
    });
    assert.deepEqual(disagreedOn([agreeing, disagreeing]), ['r1/clarity']);
    assert.deepEqual(disagreedOn([agreeing]), []);
  });
});
