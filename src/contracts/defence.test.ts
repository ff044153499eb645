import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addStepDefence, describeDefence } from './defence.ts';

test("the run's defence view: onsets by step (the latest few), proposals made and pending, in its details", () => {
  assert.equal(describeDefence({ view: undefined, trainRunId: 'r' }), undefined);
  let view = addStepDefence({ view: undefined, step: 1, report: { onsets: [], proposed: 0, pending: 0 } });
  assert.equal(describeDefence({ view, trainRunId: 'r' }), undefined);
  view = addStepDefence({ view, step: 2, report: { onsets: ['phrase', 'length'], proposed: 2, pending: 2 } });
  assert.equal(
    describeDefence({ view, trainRunId: 'r' }),
    'reward hacking suspected: onset of phrase at step 2, length at step 2; 2 defence proposals, 2 pending; review: `anchorage defence list r`, then accept or reject',
  );
  view = addStepDefence({ view, step: 3, report: { onsets: [], proposed: 0, pending: 0 } });
  assert.match(describeDefence({ view, trainRunId: 'r' })!, /2 defence proposals, 0 pending$/);
  for (let step = 4; step < 12; step++) {
    view = addStepDefence({ view, step, report: { onsets: ['repetition'], proposed: 0, pending: 0 } });
  }
  assert.equal(view.onsets.length, 6);
  assert.deepEqual(view.onsets.at(-1), { trend: 'repetition', step: 11 });
});
