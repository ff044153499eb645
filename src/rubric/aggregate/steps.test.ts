import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UnknownNameError, ValidationError } from '../../util/errors.ts';
import type { Shaping } from '../schema.ts';
import { clipReward } from './clip.ts';
import { checkCoverage } from './coverage.ts';
import { INTERACTION_FUNCTIONS, interactionFunction, interactionTerm } from './interaction.ts';
import { normaliseScore } from './normalise.ts';
import { saturate, saturationFor } from './saturation.ts';
import { checkShaping, SHAPING_RULES, shapeReward } from './shaping.ts';
import { vetoFires } from './veto.ts';
import { weightedMean } from './weighted-mean.ts';

const close = (actual: number, expected: number, tolerance = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

test('normaliseScore divides by the top tier score', () => {
  assert.equal(normaliseScore({ tierScore: 3, topScore: 4 }), 0.75);
  assert.equal(normaliseScore({ tierScore: 0, topScore: 10 }), 0);
  assert.equal(normaliseScore({ tierScore: 1, topScore: 1 }), 1);
});

test('saturate matches (1 - exp(-a x)) / (1 - exp(-a)) and fixes 0 and 1', () => {
  close(saturate({ x: 0.5, a: 1 }), 0.6224593312018546);
  close(saturate({ x: 0.3, a: 2 }), 0.5218073030606148);
  close(saturate({ x: 0.1, a: 50 }), 0.9932620530009145);
  for (const a of [1e-12, 1e-7, 1e-3, 1, 30, 700, 1e6]) {
    assert.equal(saturate({ x: 0, a }), 0, `a=${a}`);
    close(saturate({ x: 1, a }), 1);
  }
});

test('saturate tends to the identity as a -> 0, on both sides of the small-a switch', () => {
  close(saturate({ x: 0.37, a: 1e-12 }), 0.37, 1e-12);
  // On both sides of the switch at a = 1e-6, the value is x (1 + a (1 - x) / 2) up to O(a^2).
  const taylor = (a: number) => 0.37 * (1 + (a * 0.63) / 2);
  close(saturate({ x: 0.37, a: 1e-6 }), taylor(1e-6), 1e-12);
  close(saturate({ x: 0.37, a: 0.999999e-6 }), taylor(0.999999e-6), 1e-12);
});

test('saturate is increasing and concave in x', () => {
  const xs = Array.from({ length: 101 }, (_, i) => i / 100);
  for (const a of [0.1, 1, 5]) {
    const ys = xs.map((x) => saturate({ x, a }));
    for (let i = 1; i < ys.length; i++) assert.ok(ys[i]! > ys[i - 1]!);
    for (let i = 1; i < ys.length - 1; i++) assert.ok(ys[i]! >= (ys[i - 1]! + ys[i + 1]!) / 2 - 1e-15);
  }
});

test('saturationFor: the criterion override wins over the rubric setting', () => {
  assert.equal(
    saturationFor({ criterion: { saturation: { a: 3 } }, aggregation: { saturation: { a: 1 } } }),
    3,
  );
  assert.equal(
    saturationFor({ criterion: { saturation: undefined }, aggregation: { saturation: { a: 1 } } }),
    1,
  );
  assert.equal(saturationFor({ criterion: { saturation: undefined }, aggregation: {} }), undefined);
});

test('weightedMean: penalties subtract, only positive scored weights form the denominator', () => {
  const result = weightedMean({
    terms: [
      { weight: 2, score: 1 },
      { weight: 1, score: 0.5 },
      { weight: -1, score: 1 },
      { weight: 3, score: null },
      { weight: -4, score: 0 },
    ],
  });
  // (2 * 1 + 1 * 0.5 - 1 * 1 - 4 * 0) / (2 + 1) = 1.5 / 3
  assert.deepEqual(result, { numerator: 1.5, denominator: 3, mean: 0.5 });
});

test('weightedMean: a mean below 0 is possible when penalties dominate', () => {
  const result = weightedMean({
    terms: [
      { weight: 1, score: 0.2 },
      { weight: -2, score: 1 },
    ],
  });
  assert.equal(result.mean, -1.8);
});

test('weightedMean: no scored positive weight means no mean', () => {
  assert.deepEqual(weightedMean({ terms: [] }), { numerator: 0, denominator: 0, mean: null });
  const penaltiesOnly = weightedMean({
    terms: [
      { weight: -1, score: 1 },
      { weight: 2, score: null },
    ],
  });
  assert.deepEqual(penaltiesOnly, { numerator: -1, denominator: 0, mean: null });
});

test('vetoFires: strictly below the threshold, never when unscorable or not a veto', () => {
  assert.equal(vetoFires({ kind: 'veto', threshold: 0.5, normalised: 0.49 }), true);
  assert.equal(vetoFires({ kind: 'veto', threshold: 0.5, normalised: 0.5 }), false);
  assert.equal(vetoFires({ kind: 'veto', threshold: 1, normalised: 0 }), true);
  assert.equal(vetoFires({ kind: 'veto', threshold: 0, normalised: 0 }), false);
  assert.equal(vetoFires({ kind: 'veto', threshold: 1, normalised: null }), false);
  assert.equal(vetoFires({ kind: 'score', threshold: undefined, normalised: 0 }), false);
});

test('interaction functions: min and product, scaled by the coefficient', () => {
  assert.deepEqual(Object.keys(INTERACTION_FUNCTIONS).sort(), ['min', 'product']);
  assert.equal(interactionFunction('min')(0.3, 0.8), 0.3);
  close(interactionFunction('product')(0.3, 0.8), 0.24);
  assert.deepEqual(interactionTerm({ fn: interactionFunction('min'), coefficient: -0.5, x: 0.3, y: 0.8 }), {
    g: 0.3,
    value: -0.15,
  });
  assert.throws(
    () => interactionFunction('max'),
    (err: unknown) => {
      assert.ok(err instanceof UnknownNameError);
      assert.match(err.message, /unknown interaction function 'max'; known: min, product/);
      return true;
    },
  );
});

test('clipReward keeps values inside [floor, 1]', () => {
  assert.equal(clipReward({ value: 1.3, floor: 0 }), 1);
  assert.equal(clipReward({ value: -0.2, floor: 0 }), 0);
  assert.equal(clipReward({ value: -0.2, floor: -1 }), -0.2);
  assert.equal(clipReward({ value: -1.5, floor: -1 }), -1);
  assert.equal(clipReward({ value: 0.4, floor: 0.5 }), 0.5);
});

test('power shaping: r^gamma on [0, 1], rescaled on [floor, 1] for a negative floor', () => {
  const power: Shaping = { type: 'power', gamma: 2 };
  assert.equal(shapeReward({ value: 0.5, shaping: power, floor: 0 }), 0.25);
  assert.equal(shapeReward({ value: 1, shaping: power, floor: 0 }), 1);
  assert.equal(shapeReward({ value: 0, shaping: power, floor: 0 }), 0);
  // floor -1: u = (0 + 1) / 2 = 0.5, r' = -1 + 2 * 0.25 = -0.5.
  assert.equal(shapeReward({ value: 0, shaping: power, floor: -1 }), -0.5);
  assert.equal(shapeReward({ value: -1, shaping: power, floor: -1 }), -1);
  close(shapeReward({ value: 0.25, shaping: { type: 'power', gamma: 0.5 }, floor: 0 }), 0.5);
});

test('stretch shaping: slope s above t, the line from the floor below, continuous', () => {
  const stretch: Shaping = { type: 'stretch', threshold: 0.8, slope: 2 };
  // f(t) = 1 - 2 * 0.2 = 0.6; lower slope 0.6 / 0.8 = 0.75.
  const f = (value: number, floor = 0) => shapeReward({ value, shaping: stretch, floor });
  assert.equal(f(0), 0);
  close(f(0.4), 0.3);
  close(f(0.8), 0.6);
  close(f(0.9), 0.8);
  assert.equal(f(1), 1);
  // floor -1: f(t) = 0.6, lower slope (0.6 + 1) / 1.8; f(0) = -1 + 1.6 / 1.8.
  assert.equal(f(-1, -1), -1);
  close(f(0, -1), -1 + 1.6 / 1.8);
  close(f(0.9, -1), 0.8);
});

test('stretch shaping with a slope below 1 compresses the top and stays continuous', () => {
  const stretch: Shaping = { type: 'stretch', threshold: 0.8, slope: 0.5 };
  // f(t) = 1 - 0.5 * 0.2 = 0.9; lower slope 0.9 / 0.8 = 1.125.
  const f = (value: number) => shapeReward({ value, shaping: stretch, floor: 0 });
  close(f(0.4), 0.45);
  close(f(0.8), 0.9);
  close(f(0.9), 0.95);
  assert.equal(f(1), 1);
});

test('stretch shaping is monotone across the joint, to the last rounding unit', () => {
  // The second case is one where choosing the branch by `r < t` steps down by one unit at t.
  const cases = [
    { floor: 0, shaping: { type: 'stretch', threshold: 0.7, slope: 3 } as const },
    {
      floor: -0.4561684208211284,
      shaping: { type: 'stretch', threshold: 0.4198973815581281, slope: 0.9495676555061897 } as const,
    },
  ];
  for (const { floor, shaping } of cases) {
    let previous = Number.NEGATIVE_INFINITY;
    for (let i = -2000; i <= 2000; i++) {
      const value = shaping.threshold + (i * Number.EPSILON) / 4;
      const shaped = SHAPING_RULES.stretch.apply({ value, shaping, floor });
      assert.ok(shaped >= previous, `not monotone at ${value}`);
      previous = shaped;
    }
  }
});

test('checkShaping rejects a stretch that cannot map [floor, 1] onto itself', () => {
  const check = (shaping: Shaping, floor: number) => () => checkShaping({ shaping, floor, rubricId: 'r' });
  // (1 - 0) / (1 - 0.8) = 5: slope 5 would make the part below 0.8 flat.
  assert.throws(check({ type: 'stretch', threshold: 0.8, slope: 5 }, 0), (err: unknown) => {
    assert.ok(err instanceof ValidationError);
    assert.equal(err.location.field, 'aggregation.shaping.slope');
    assert.match(err.message, /rubric 'r', stretch shaping: a slope below .* = 5/);
    return true;
  });
  assert.doesNotThrow(check({ type: 'stretch', threshold: 0.8, slope: 4.9 }, 0));
  assert.throws(check({ type: 'stretch', threshold: 0.5, slope: 1 }, 0.5), /threshold above the floor 0.5/);
  assert.doesNotThrow(check({ type: 'power', gamma: 3 }, 0.9));
  assert.throws(
    () => shapeReward({ value: 0.5, shaping: { type: 'cubic' } as unknown as Shaping, floor: 0 }),
    /unknown shaping 'cubic'; known: power, stretch/,
  );
});

test('checkCoverage: fraction of positive-weight criteria scored', () => {
  assert.deepEqual(checkCoverage({ scoredPositive: 7, totalPositive: 10, minScoredFraction: 0.7 }), {
    scorable: true,
  });
  const short = checkCoverage({ scoredPositive: 6, totalPositive: 10, minScoredFraction: 0.7 });
  assert.equal(short.scorable, false);
  assert.match(
    !short.scorable ? short.reason : '',
    /6 of 10 positive-weight criteria scored; at least 7 needed/,
  );
  assert.deepEqual(checkCoverage({ scoredPositive: 1, totalPositive: 3, minScoredFraction: 0 }), {
    scorable: true,
  });
  const none = checkCoverage({ scoredPositive: 0, totalPositive: 3, minScoredFraction: 0 });
  assert.match(!none.scorable ? none.reason : '', /none of the 3 positive-weight criteria/);
  const penaltiesOnly = checkCoverage({ scoredPositive: 0, totalPositive: 0, minScoredFraction: 0.5 });
  assert.match(!penaltiesOnly.scorable ? penaltiesOnly.reason : '', /no positive-weight criterion/);
  assert.deepEqual(checkCoverage({ scoredPositive: 3, totalPositive: 3, minScoredFraction: 1 }), {
    scorable: true,
  });
  assert.equal(checkCoverage({ scoredPositive: 2, totalPositive: 3, minScoredFraction: 1 }).scorable, false);
});
