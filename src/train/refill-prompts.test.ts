import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refillRounds } from './refill-prompts.ts';
import { selectStepPrompts } from './step-prompts.ts';

const base = {
  promptCount: 20,
  planned: [3, 7, 11],
  perRound: 3,
  maxRounds: 4,
  seed: 9,
  stageIndex: 0,
  step: 5,
};

describe('refill rounds (dynamic sampling)', () => {
  it('are a pure function of the seed, the stage and the step', () => {
    assert.deepEqual(refillRounds(base), refillRounds({ ...base }));
    assert.notDeepEqual(refillRounds(base), refillRounds({ ...base, step: 6 }), 'another step draws others');
    assert.notDeepEqual(refillRounds(base), refillRounds({ ...base, seed: 10 }), 'another seed draws others');
    // A later round does not change the earlier ones: round r is the same whatever the bound.
    const two = refillRounds({ ...base, maxRounds: 2 });
    assert.deepEqual(two, refillRounds(base).slice(0, 2));
  });

  it('never repeat a prompt within a step: not the planned ones, not one of an earlier round', () => {
    for (let step = 1; step <= 30; step++) {
      const planned = selectStepPrompts({
        promptCount: 20,
        perStep: 4,
        seed: 9,
        stageIndex: 0,
        stepInStage: step - 1,
      });
      const rounds = refillRounds({ ...base, planned, step, maxRounds: 10 });
      const drawn = rounds.flat();
      assert.equal(new Set(drawn).size, drawn.length, `step ${step}: no prompt twice across rounds`);
      for (const i of drawn) assert.ok(!planned.includes(i), `step ${step}: ${i} was planned`);
      assert.ok(drawn.every((i) => i >= 0 && i < 20));
      // The pool is used up: every unplanned prompt comes once.
      assert.equal(drawn.length, 20 - new Set(planned).size);
    }
  });

  it('respect the bound: at most maxRounds rounds of at most perRound prompts, fewer when the pool runs out', () => {
    const rounds = refillRounds(base);
    assert.equal(rounds.length, 4);
    assert.ok(rounds.every((r) => r.length === 3));
    assert.deepEqual(refillRounds({ ...base, maxRounds: 0 }), []);
    // 17 unplanned prompts in rounds of 5: 4 rounds, the last one short.
    const exhausted = refillRounds({ ...base, perRound: 5, maxRounds: 10 });
    assert.deepEqual(
      exhausted.map((r) => r.length),
      [5, 5, 5, 2],
    );
    // Every prompt planned: nothing to refill from.
    assert.deepEqual(refillRounds({ ...base, promptCount: 3, planned: [0, 1, 2] }), []);
  });

  it('refuse bad inputs, naming them', () => {
    assert.throws(() => refillRounds({ ...base, perRound: 0 }), /prompts per refill round/);
    assert.throws(() => refillRounds({ ...base, maxRounds: -1 }), /refill rounds/);
    assert.throws(() => refillRounds({ ...base, planned: [20] }), /planned prompt 20/);
  });
});
