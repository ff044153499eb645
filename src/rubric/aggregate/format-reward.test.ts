import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combineSamples } from '../judge/combine-samples.ts';
import { aggregateReward } from './aggregate-reward.ts';
import { makeCriterion, makeRubric, scored, unscorable } from './fixtures.ts';
import { formatReward } from './format-reward.ts';

const rubric = makeRubric({
  criteria: [
    makeCriterion({ id: 'clarity', weight: 2, tiers: [0, 2, 4] }),
    makeCriterion({ id: 'accuracy', weight: 1 }),
    makeCriterion({ id: 'self-praise', weight: -1 }),
    makeCriterion({ id: 'hacking', weight: 1, veto: 1 }),
  ],
  aggregation: {
    interactions: [{ a: 'clarity', b: 'accuracy', coefficient: 0.2, fn: 'min' }],
    shaping: { type: 'power', gamma: 2 },
  },
});

test('formatReward prints the criterion table and the chain of steps', () => {
  const long = 'the answer restates the question at length before it finally gets to the point';
  const reward = aggregateReward({
    rubric,
    verdicts: [
      { ...scored('clarity', 2, 'ok'), reason: long },
      scored('accuracy', 1, 'pass'),
      scored('self-praise', 1, 'pass'),
      scored('hacking', 1, 'pass'),
    ],
  });
  const lines = formatReward({ reward, rubric }).split('\n');
  assert.deepEqual(lines, [
    'rubric test/rubric v1: Test rubric',
    '',
    'criterion    tier  raw/top  x       t       weight  contrib  veto  reason',
    'clarity      ok    2/4      0.5000  0.5000  2       +0.2500        the answer restates the question at length be...',
    'accuracy     pass  1/1      1.0000  1.0000  1       +0.2500        scored 1',
    'self-praise  pass  1/1      1.0000  1.0000  -1      -0.2500        scored 1',
    'hacking      pass  1/1      1.0000  1.0000  1       +0.2500  pass  scored 1',
    '',
    'weighted mean        0.5000   2.0000 / 4.0000 (3 of 3 positive-weight criteria scored)',
    'interaction          +0.1000  clarity ~ accuracy, 0.2 * min (g = 0.5000)',
    'mean + interactions  0.6000',
    'clipped to [0, 1]    0.6000',
    'shaping power        0.3600   gamma 2',
    'reward               0.3600   scored',
  ]);
});

test('formatReward shows unscorable criteria, skipped interactions, vetoes and unscorable rewards', () => {
  const vetoed = aggregateReward({
    rubric,
    verdicts: [
      unscorable('clarity'),
      scored('accuracy', 1),
      scored('self-praise', 0),
      scored('hacking', 0, 'fail'),
    ],
  });
  const text = formatReward({ reward: vetoed, rubric });
  assert.match(text, /^clarity +UNSCORABLE +-\/4 +- +- +2 +- +judge reply malformed$/m);
  assert.match(text, /^hacking +fail +0\/1 .* FIRED <1 /m);
  assert.match(text, /^interaction +skipped +clarity ~ accuracy, 0.2 \* min: 'clarity' unscorable$/m);
  assert.match(text, /^reward +0\.0000 +veto fired by hacking: the reward is the floor$/m);

  const none = aggregateReward({
    rubric,
    verdicts: [
      unscorable('clarity'),
      unscorable('accuracy'),
      scored('self-praise', 0),
      unscorable('hacking'),
    ],
  });
  const noneText = formatReward({ reward: none, rubric });
  assert.match(noneText, /^weighted mean +- +no denominator \(0 of 3 positive-weight criteria scored\)$/m);
  assert.match(noneText, /^reward +unscorable +none of the 3 positive-weight criteria could be scored$/m);
  assert.doesNotMatch(noneText, /clipped/);
});

test('formatReward refuses a rubric other than the one the reward was computed with', () => {
  const reward = aggregateReward({ rubric, verdicts: rubric.criteria.map((c) => scored(c.id, 1)) });
  assert.throws(
    () => formatReward({ reward, rubric: { ...rubric, id: 'other' } }),
    /cannot be formatted with rubric 'other'/,
  );
});

test("formatReward shows a sampled judge's tiers: each sample's where they differ, the count where they agree", () => {
  const sampled = makeRubric({
    criteria: [makeCriterion({ id: 'clarity', tiers: [0, 2, 4] }), makeCriterion({ id: 'accuracy' })],
  });
  const reward = aggregateReward({
    rubric: sampled,
    verdicts: [
      combineSamples({
        samples: [scored('clarity', 4, 'clear'), scored('clarity', 2, 'ok'), unscorable('clarity')],
      }),
      combineSamples({ samples: [scored('accuracy', 1, 'pass'), scored('accuracy', 1, 'pass')] }),
    ],
  });
  const rows = formatReward({ reward, rubric: sampled }).split('\n').slice(3, 5);
  assert.match(rows[0]!, /^clarity\s+clear\/ok\/-\s+3\/4\s/);
  assert.match(rows[1]!, /^accuracy\s+pass x2\s+1\/1\s/);
});
