import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CarriedState, StageInfo } from '../src/contracts/workflow-types.ts';
import { runStages } from './run-stages.ts';

const plain: StageInfo[] = [
  { name: 'a', firstStep: 1, steps: 3, selection: null },
  { name: 'b', firstStep: 4, steps: 2, selection: 'each-stage' },
];
const thresholds: StageInfo[] = [
  { ...plain[0]!, advanceWhen: { metric: 'eval/reward/mean', atLeast: 0.5 } },
  { ...plain[1]!, advanceWhen: { metric: 'reward/mean', atMost: 2 } },
];

test('a run without thresholds: planned spans, and its children get the inputs they always got', () => {
  const stages = runStages({ planned: plain, state: {} });
  assert.deepEqual(stages.spans(), plain);
  assert.equal(stages.lastStep(), 5);
  for (const purpose of ['train', 'eval', 'select'] as const)
    assert.deepEqual(stages.childInput(1, purpose), {});
  assert.deepEqual(stages.view(), {});
  assert.equal(stages.check({ step: 1, source: 'train', metrics: { 'reward/mean': 1 } }), undefined);
});

test('a threshold met ends the stage: spans, state, child inputs and the view follow', () => {
  const state: Pick<CarriedState, 'stageStarts' | 'stageAdvances'> = {};
  const stages = runStages({ planned: thresholds, state });
  assert.deepEqual(stages.childInput(1, 'eval'), { watch: ['eval/reward/mean'] });
  assert.deepEqual(stages.childInput(1, 'train'), {});
  assert.equal(stages.check({ step: 1, source: 'train', metrics: { 'reward/mean': 1 } }), undefined);
  const advance = stages.check({ step: 1, source: 'eval', metrics: { 'eval/reward/mean': 0.7 } });
  assert.deepEqual(advance, { stage: 'a', step: 1, metric: 'eval/reward/mean', value: 0.7 });
  assert.equal(stages.advance(advance!)?.name, 'b');
  assert.deepEqual(state, { stageStarts: [1, 2], stageAdvances: [advance] });
  assert.equal(stages.lastStep(), 3);
  assert.deepEqual(stages.childInput(2, 'train'), { stageStarts: [1, 2], watch: ['reward/mean'] });
  assert.deepEqual(stages.childInput(2, 'select'), { stageStarts: [1, 2] });
  assert.deepEqual(
    stages.view().stages?.map((s) => [s.name, s.firstStep, s.steps, s.advanced?.step ?? null]),
    [
      ['a', 1, 1, 1],
      ['b', 2, 2, null],
    ],
  );
  // The last stage ends early: the run with it.
  const last = stages.check({ step: 2, source: 'train', metrics: { 'reward/mean': 1 } });
  assert.equal(stages.advance(last!), undefined);
  assert.equal(stages.lastStep(), 2);
  // Carried across continue-as-new: a new execution starts from the same state.
  assert.deepEqual(runStages({ planned: thresholds, state: { ...state } }).spans(), stages.spans());
});
