import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDetails } from './run-details.ts';
import type { RunProgress } from './workflow-types.ts';

const progress = (judge: RunProgress['judge']): RunProgress => ({
  trainRunId: 'r',
  status: judge?.waiting === true ? 'paused' : 'running',
  modelName: 'm',
  totalSteps: 4,
  completedSteps: 1,
  currentStep: 2,
  currentTask: null,
  stage: 'main',
  lastCheckpoint: { step: 1, address: 'sha256:ab' },
  last: null,
  lastEval: null,
  failure: null,
  pauseRequested: false,
  stopRequested: false,
  overrides: {},
  continuedAsNew: 0,
  ...(judge === undefined ? {} : { judge }),
});

test('a run waiting for its judge budget says so first, with the spend and how to raise it', () => {
  const text = runDetails(
    progress({ budget: { requests: 12 }, used: { requests: 12, tokens: 300 }, waiting: true }),
  );
  const [first] = text.split('\n\n');
  assert.equal(first, '**r**: paused: judge budget spent (12 of 12 requests)');
  assert.match(text, /`anchorage budget r --add-requests N` \(or --add-tokens N\), or signal `stop`/);
});

test('a running run with a budget shows its spend; one without shows nothing about it', () => {
  const text = runDetails(
    progress({ budget: { requests: 12, tokens: 900 }, used: { requests: 5, tokens: 300 }, waiting: false }),
  );
  assert.match(text, /^\*\*r\*\*: running/);
  assert.match(text, /judge budget: 5 of 12 requests, 300 of 900 tokens/);
  const without = runDetails(progress({ budget: null, used: { requests: 5, tokens: 0 }, waiting: false }));
  assert.doesNotMatch(without, /judge budget/);
  assert.doesNotMatch(runDetails(progress(undefined)), /judge budget/, 'a run from before budgets');
});
