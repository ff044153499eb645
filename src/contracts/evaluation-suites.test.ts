import assert from 'node:assert/strict';
import { it } from 'node:test';
import { suitesDue } from './evaluation-suites.ts';

const suites = ['ifeval', 'style', 'perplexity'];
const due = (step: number) =>
  suitesDue({ suites, at: { ifeval: 'last', style: 'ends' }, step, lastStep: 40 });

it('a suite at every evaluation runs at each; at the last only at the last step; at the ends also at step 0', () => {
  assert.deepEqual(due(0), ['style', 'perplexity']);
  assert.deepEqual(due(20), ['perplexity']);
  assert.deepEqual(due(40), ['ifeval', 'style', 'perplexity']);
});

it('without `at` (runs started before it) every suite runs at every evaluation', () => {
  assert.deepEqual(suitesDue({ suites, step: 3, lastStep: 9 }), suites);
});
