import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  describeThreshold,
  lastStep,
  metricSource,
  pickMetrics,
  stageAdvance,
  stageSpans,
  thresholdMet,
  watchedMetrics,
} from './stage-advance.ts';
import { stageOfStep } from './steps.ts';

const planned = [
  { name: 'a', firstStep: 1, steps: 5 },
  { name: 'b', firstStep: 6, steps: 3 },
  { name: 'c', firstStep: 9, steps: 2 },
];
const spans = (starts: number[]) => stageSpans(planned, starts).map((s) => [s.name, s.firstStep, s.steps]);

test('with no stage ended early the spans are the planned ones', () => {
  assert.deepEqual(stageSpans(planned, []), planned);
  assert.deepEqual(stageSpans(planned, [1]), planned);
  assert.equal(lastStep(planned), 10);
});

test('a stage ended early is followed by the next from the step after; the later ones follow on', () => {
  // a ended after step 2: b runs 3-5, c 6-7; steps stay numbered 1..7.
  assert.deepEqual(spans([1, 3]), [
    ['a', 1, 2],
    ['b', 3, 3],
    ['c', 6, 2],
  ]);
  // b ended early too, after its first step.
  assert.deepEqual(spans([1, 3, 4]), [
    ['a', 1, 2],
    ['b', 3, 1],
    ['c', 4, 2],
  ]);
  // The last stage ended early: the run ends with it.
  assert.deepEqual(spans([1, 3, 4, 5]), [
    ['a', 1, 2],
    ['b', 3, 1],
    ['c', 4, 1],
  ]);
  assert.equal(lastStep(stageSpans(planned, [1, 3, 4, 5])), 4);
  // Every step 1..last is in exactly one stage.
  const s = stageSpans(planned, [1, 3]);
  assert.deepEqual(
    [1, 2, 3, 5, 6, 7].map((step) => stageOfStep(s, step)?.name),
    ['a', 'a', 'b', 'b', 'c', 'c'],
  );
  assert.equal(stageOfStep(s, 8), undefined);
});

test('starts that do not fit the plan are refused', () => {
  assert.throws(() => stageSpans(planned, [2]), /begins at step 1/);
  assert.throws(() => stageSpans(planned, [1, 7]), /at most 5/);
  assert.throws(() => stageSpans(planned, [1, 1]), /0 steps/);
  assert.throws(() => stageSpans(planned, [1, 2, 3, 4, 5]), /5 stage starts for 3 stages/);
});

test('thresholds: atLeast, atMost, both; missing and non-finite values never meet one', () => {
  assert.equal(thresholdMet({ metric: 'reward/mean', atLeast: 0.5 }, 0.5), true);
  assert.equal(thresholdMet({ metric: 'reward/mean', atLeast: 0.5 }, 0.49), false);
  assert.equal(thresholdMet({ metric: 'kl/ref', atMost: 0.1 }, 0.1), true);
  assert.equal(thresholdMet({ metric: 'kl/ref', atMost: 0.1 }, 0.2), false);
  assert.equal(thresholdMet({ metric: 'x/y', atLeast: 0, atMost: 1 }, 1.5), false);
  assert.equal(thresholdMet({ metric: 'x/y', atLeast: 0, atMost: 1 }, 0.5), true);
  assert.equal(thresholdMet({ metric: 'x/y', atLeast: 0 }, undefined), false);
  assert.equal(thresholdMet({ metric: 'x/y', atLeast: 0 }, Number.NaN), false);
  assert.equal(thresholdMet({ metric: 'x/y' }, 1), false);
  assert.equal(
    describeThreshold({ metric: 'eval/reward/mean', atLeast: 0.6 }, 0.61234),
    'eval/reward/mean 0.6123 >= 0.6',
  );
});

test('a stage advances on its source, from minSteps on, and only with steps left', () => {
  const stage = {
    name: 'a',
    firstStep: 1,
    steps: 5,
    advanceWhen: { metric: 'reward/mean', atLeast: 0.5, minSteps: 2 },
  };
  const at = (step: number, source: 'train' | 'eval', value: number) =>
    stageAdvance({ stage, step, source, metrics: { 'reward/mean': value, 'eval/reward/mean': value } });
  assert.equal(at(1, 'train', 0.9), undefined, 'before minSteps');
  assert.deepEqual(at(2, 'train', 0.9), { stage: 'a', step: 2, metric: 'reward/mean', value: 0.9 });
  assert.equal(at(2, 'train', 0.4), undefined, 'below the threshold');
  assert.equal(at(2, 'eval', 0.9), undefined, 'an evaluation does not answer a training metric');
  assert.equal(at(5, 'train', 0.9), undefined, 'the last step ends the stage anyway');
  assert.equal(at(6, 'train', 0.9), undefined, 'outside the stage');
  const evalStage = { ...stage, advanceWhen: { metric: 'eval/reward/mean', atMost: 2 } };
  assert.equal(
    stageAdvance({ stage: evalStage, step: 1, source: 'eval', metrics: { 'eval/reward/mean': 1 } })?.value,
    1,
  );
  assert.equal(stageAdvance({ stage: evalStage, step: 1, source: 'eval', metrics: {} }), undefined);
  assert.equal(stageAdvance({ stage: planned[0]!, step: 1, source: 'train', metrics: {} }), undefined);
});

test('what a stage watches, by source, and picking recorded values', () => {
  const stage = { advanceWhen: { metric: 'eval/ifeval/promptLoose', atLeast: 0.3 } };
  assert.equal(metricSource('eval/reward/mean'), 'eval');
  assert.equal(metricSource('reward/mean'), 'train');
  assert.deepEqual(watchedMetrics(stage, 'eval'), ['eval/ifeval/promptLoose']);
  assert.deepEqual(watchedMetrics(stage, 'train'), []);
  assert.deepEqual(watchedMetrics({}, 'train'), []);
  assert.deepEqual(pickMetrics({ 'a/b': 1, 'c/d': 2, 'e/f': Number.NaN }, ['a/b', 'e/f', 'x/y']), {
    'a/b': 1,
  });
});
