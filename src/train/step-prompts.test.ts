import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mixSeed, promptStratum, selectStepPrompts, stepSeed } from './step-prompts.ts';

test('step prompts: each epoch is a permutation, the choice depends only on seed, stage and step', () => {
  const pick = (step: number, seed = 7) =>
    selectStepPrompts({ promptCount: 10, perStep: 4, seed, stageIndex: 0, stepInStage: step });
  // Steps 0..4 cover positions 0..19: two whole epochs of 10 prompts.
  const positions = [0, 1, 2, 3, 4].flatMap((s) => pick(s));
  for (const epoch of [positions.slice(0, 10), positions.slice(10, 20)]) {
    assert.deepEqual(
      [...epoch].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
  }
  assert.notDeepEqual(positions.slice(0, 10), positions.slice(10, 20), 'a fresh permutation per epoch');
  assert.deepEqual(pick(3), pick(3), 'deterministic');
  assert.notDeepEqual(
    [0, 1, 2].map((s) => pick(s, 8)),
    [0, 1, 2].map((s) => pick(s, 7)),
    'seeded',
  );
  assert.throws(
    () => selectStepPrompts({ promptCount: 3, perStep: 4, seed: 0, stageIndex: 0, stepInStage: 0 }),
    /1\.\.3/,
  );
});

test('seeds: stable values, sensitive to every part', () => {
  assert.equal(mixSeed(1, 2, 3), mixSeed(1, 2, 3));
  const seeds = new Set([
    stepSeed({ runSeed: 0, step: 1, purpose: 'train' }),
    stepSeed({ runSeed: 0, step: 2, purpose: 'train' }),
    stepSeed({ runSeed: 1, step: 1, purpose: 'train' }),
    stepSeed({ runSeed: 0, step: 1, purpose: 'eval' }),
  ]);
  assert.equal(seeds.size, 4);
  for (const s of seeds) assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32);
  assert.throws(() => mixSeed(1.5), /safe integer/);
});

test('stratified steps: each stratum spread evenly over the epoch, still a seeded permutation', () => {
  // 12 kinds of very different sizes (2..20 prompts each), 4 prompts per step.
  const strata = Array.from({ length: 12 }, (_, k) =>
    Array.from({ length: 2 + 2 * k }, () => `kind-${k}`),
  ).flat();
  const n = strata.length;
  const pick = (step: number, seed: number) =>
    selectStepPrompts({ promptCount: n, perStep: 4, seed, stageIndex: 0, stepInStage: step, strata });
  for (const seed of [0, 1, 2, 3]) {
    const steps = Math.ceil(n / 4);
    const epoch = Array.from({ length: steps }, (_, s) => pick(s, seed))
      .flat()
      .slice(0, n);
    assert.deepEqual(
      [...epoch].sort((a, b) => a - b),
      Array.from({ length: n }, (_, i) => i),
      'a permutation',
    );
    // Every window of the epoch holds each kind in proportion to its size, within two prompts (at most
    // 1.4 off for these seeds; a plain shuffle is up to 7.5 off).
    for (const window of [24, 48, 96]) {
      for (let start = 0; start + window <= n; start += window) {
        const counts = new Map<string, number>();
        for (const i of epoch.slice(start, start + window))
          counts.set(strata[i]!, (counts.get(strata[i]!) ?? 0) + 1);
        for (let k = 0; k < 12; k++) {
          const label = `kind-${k}`;
          const expected = ((2 + 2 * k) * window) / n;
          const got = counts.get(label) ?? 0;
          assert.ok(
            Math.abs(got - expected) < 2,
            `${label}: ${got} in ${window}, expected ${expected.toFixed(2)}`,
          );
        }
      }
    }
  }
  assert.deepEqual(pick(5, 1), pick(5, 1), 'deterministic');
  assert.notDeepEqual(
    [0, 1, 2].map((s) => pick(s, 1)),
    [0, 1, 2].map((s) => pick(s, 2)),
    'seeded',
  );
  assert.throws(
    () =>
      selectStepPrompts({
        promptCount: 3,
        perStep: 1,
        seed: 0,
        stageIndex: 0,
        stepInStage: 0,
        strata: ['a'],
      }),
    /one stratum per prompt \(3\), got 1/,
  );
});

test('prompt stratum: the first tag with the prefix, or none', () => {
  assert.equal(
    promptStratum(['generated', 'constraint:keywords:existence', 'constraint:title'], 'constraint:'),
    'constraint:keywords:existence',
  );
  assert.equal(promptStratum(['generated'], 'constraint:'), '');
});
