import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluationName, stageOfStep, stepInStage } from './steps.ts';
import { runWorkflowIds } from './workflow-ids.ts';

test('steps are 1-based across stages; step 0 (the base policy) is in the first stage', () => {
  const stages = [
    { name: 'a', firstStep: 1, steps: 3 },
    { name: 'b', firstStep: 4, steps: 2 },
  ];
  assert.equal(stageOfStep(stages, 0)?.name, 'a');
  assert.equal(stageOfStep(stages, 3)?.name, 'a');
  assert.equal(stageOfStep(stages, 4)?.name, 'b');
  assert.equal(stageOfStep(stages, 6), undefined);
  assert.equal(stepInStage(stages[1]!, 5), 1);
  assert.equal(evaluationName(0), 'evaluation of the base policy');
  assert.equal(evaluationName(2), 'evaluation after step 2');
});

test("a run's workflow ids are named under its trainRunId", () => {
  assert.equal(runWorkflowIds.run('r-1'), 'r-1');
  assert.equal(runWorkflowIds.step('r-1', 3), 'r-1/step-3');
  assert.equal(runWorkflowIds.evaluation('r-1', 0), 'r-1/eval-0');
  assert.equal(runWorkflowIds.selection('r-1', 4), 'r-1/select-4');
  assert.equal(runWorkflowIds.scheduledEvaluation('r-1', 2), 'r-1/scheduled-eval-2');
  assert.equal(runWorkflowIds.evaluationSchedule('r-1'), 'r-1/eval-schedule');
});
