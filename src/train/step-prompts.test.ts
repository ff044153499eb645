import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mixSeed, selectStepPrompts, stepSeed } from './step-prompts.ts';

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
