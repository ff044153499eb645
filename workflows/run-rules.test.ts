import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { runDetails } from '../src/contracts/run-details.ts';
import { evaluationDue, isMilestone, mergeOverrides, rootFailure, stageOf } from './run-rules.ts';
import type { RunProgress } from '../src/contracts/workflow-types.ts';

test('stages, evaluations and milestones by step', () => {
  const stages = [
    { name: 'a', firstStep: 1, steps: 3, selection: null },
    { name: 'b', firstStep: 4, steps: 2, selection: null },
  ];
  assert.equal(stageOf(stages, 3).name, 'a');
  assert.equal(stageOf(stages, 4).name, 'b');
  assert.throws(() => stageOf(stages, 6), /no stage/);
  assert.deepEqual(
    [1, 2, 3, 4, 5].filter((step) => evaluationDue({ step, every: 2, totalSteps: 5 })),
    [2, 4, 5],
  );
  assert.equal(evaluationDue({ step: 5, every: 0, totalSteps: 5 }), false);
  assert.deepEqual(
    [1, 2, 3, 4, 5].filter((s) => isMilestone({ checkpointEvery: 4, totalSteps: 5 }, s)),
    [4, 5],
  );
});

test('overrides from a signal: finite non-negative numbers of known names only', () => {
  const merged = mergeOverrides(
    { learningRate: 1e-4 },
    { klCoefficient: 0.1, clipLow: Number.NaN, maxGradNorm: -1, bogus: 3, learningRate: 2e-4 },
  );
  assert.deepEqual(merged, { learningRate: 2e-4, klCoefficient: 0.1 });
  assert.deepEqual(mergeOverrides({ learningRate: 1 }, undefined), { learningRate: 1 });
});

test('failure chains report the innermost type and message; details show a failed step', () => {
  const inner = ApplicationFailure.create({
    type: 'NonFiniteError',
    message: 'loss is NaN',
    nonRetryable: true,
  });
  const outer = new Error('child failed', { cause: new Error('activity failed', { cause: inner }) });
  assert.deepEqual(rootFailure(outer), { type: 'NonFiniteError', message: 'loss is NaN' });
  const progress: RunProgress = {
    trainRunId: 'r',
    status: 'failed',
    modelName: 'm',
    totalSteps: 4,
    completedSteps: 1,
    currentStep: null,
    currentTask: null,
    stage: 'main',
    lastCheckpoint: { step: 1, address: 'sha256:ab' },
    last: null,
    lastEval: null,
    failure: { step: 2, type: 'NonFiniteError', message: 'loss is NaN' },
    pauseRequested: false,
    stopRequested: false,
    overrides: { klCoefficient: 1 },
    continuedAsNew: 0,
  };
  const text = runDetails(progress);
  assert.match(text, /step 1\/4/);
  assert.match(text, /step 2 failed \(NonFiniteError\): loss is NaN/);
  assert.match(text, /last checkpoint: step 1 \(sha256:ab\)/);
  assert.match(text, /overrides: \{"klCoefficient":1\}/);
});
