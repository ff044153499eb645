import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ValidationError } from '../../util/errors.ts';
import { aggregateReward } from './aggregate-reward.ts';
import { aggregateRewards } from './aggregate-rewards.ts';
import {
  makeCriterion,
  makeRubric,
  rubricArbitrary,
  scored,
  unscorable,
  verdictsArbitrary,
} from './fixtures.ts';

test('the batch aggregator equals the single-response loop, explanations included, bit for bit', () => {
  const batchArbitrary = rubricArbitrary().chain((rubric) =>
    fc
      .array(verdictsArbitrary(rubric), { maxLength: 8 })
      .map((verdictsPerResponse) => ({ rubric, verdictsPerResponse })),
  );
  fc.assert(
    fc.property(batchArbitrary, ({ rubric, verdictsPerResponse }) => {
      const batch = aggregateRewards({ rubric, verdictsPerResponse });
      const loop = verdictsPerResponse.map((verdicts) => aggregateReward({ rubric, verdicts }));
      assert.deepStrictEqual(batch, loop);
    }),
    { numRuns: 300 },
  );
});

test('the batch aggregator handles an empty batch and names the response in errors', () => {
  const rubric = makeRubric({ criteria: [makeCriterion({ id: 'a' }), makeCriterion({ id: 'b' })] });
  assert.deepEqual(aggregateRewards({ rubric, verdictsPerResponse: [] }), []);
  assert.throws(
    () =>
      aggregateRewards({
        rubric,
        verdictsPerResponse: [
          [scored('a', 1), unscorable('b')],
          [scored('a', 1), scored('c', 1)],
        ],
      }),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.equal(err.location.field, 'verdictsPerResponse[1][1].criterionId');
      assert.match(err.message, /criterion 'c'/);
      return true;
    },
  );
});
