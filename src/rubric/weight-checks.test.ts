import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkWeights } from './weight-checks.ts';

const at = (line: number) => ({ file: 'r.yaml', line, field: 'weight' });
const rubricLocation = { file: 'r.yaml', line: 5, field: 'criteria' };

test('checkWeights: at least one positive weight', () => {
  assert.throws(
    () =>
      checkWeights({
        rubricId: 'penalties',
        criteria: [
          { id: 'a', weight: -1, location: at(6) },
          { id: 'b', weight: -0.5, location: at(7) },
        ],
        interactions: [],
        rubricLocation,
      }),
    {
      name: 'ValidationError',
      message:
        "r.yaml:5, field criteria: rubric 'penalties' has no criterion with a positive weight (a -1, b -0.5): expected at least one, or it can never score",
    },
  );
});

test('checkWeights: a sum that overflows to Infinity names the criterion that overflowed', () => {
  const criteria = [
    { id: 'a', weight: 1e308, location: at(6) },
    { id: 'b', weight: 1, location: at(7) },
    { id: 'c', weight: -1e308, location: at(8) },
  ];
  assert.throws(() => checkWeights({ rubricId: 'huge', criteria, interactions: [], rubricLocation }), {
    message: /^r\.yaml:8, field weight: the weights of rubric 'huge' add up to Infinity at criterion 'c'/,
  });
  assert.throws(
    () =>
      checkWeights({
        rubricId: 'huge',
        criteria: [{ id: 'a', weight: 1e308, location: at(6) }],
        interactions: [{ coefficient: 1e308 }],
        rubricLocation,
      }),
    /field aggregation\.interactions: the weights and interaction coefficients of rubric 'huge' add up to Infinity/,
  );
  checkWeights({
    rubricId: 'ok',
    criteria: [{ id: 'a', weight: 1e300, location: at(6) }],
    interactions: [],
    rubricLocation,
  });
});
