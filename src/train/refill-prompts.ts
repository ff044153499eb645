import { SeededRandom } from '../data/generator/rng.ts';
import { ValidationError } from '../util/errors.ts';
import { mixSeed } from './step-prompts.ts';

/** Tags the refill draw's seed, so it never coincides with an epoch permutation of step-prompts.ts. */
const REFILL_TAG = 0x7ef111;

/**
 * The prompts of a training step's refill rounds (dynamic sampling, `rl.dynamicSampling`): indices
 * into the stage's prompt list, `rounds[r - 1]` for round r. The prompts the step did not plan
 * (`planned`) are put in one seeded order per (seed, stage, step), and round r takes the r-th
 * `perRound` of them, so a round's prompts depend on the run's seed, the step and the round alone
 * (a retried or replayed step draws the same ones), no prompt comes twice within a step, and there
 * are at most `maxRounds` rounds, fewer when the pool runs out (the last one may be short). Pure.
 */
export function refillRounds(options: {
  promptCount: number;
  planned: readonly number[];
  perRound: number;
  maxRounds: number;
  seed: number;
  stageIndex: number;
  step: number;
}): number[][] {
  const { promptCount, planned, perRound, maxRounds, seed, stageIndex, step } = options;
  if (!Number.isInteger(promptCount) || promptCount < 1) {
    throw new ValidationError(`a stage needs at least one prompt, got ${promptCount}`);
  }
  if (!Number.isInteger(perRound) || perRound < 1) {
    throw new ValidationError(`prompts per refill round must be an integer >= 1, got ${perRound}`);
  }
  if (!Number.isInteger(maxRounds) || maxRounds < 0) {
    throw new ValidationError(`refill rounds must be an integer >= 0, got ${maxRounds}`);
  }
  for (const i of planned) {
    if (!Number.isInteger(i) || i < 0 || i >= promptCount) {
      throw new ValidationError(`planned prompt ${i} is not in 0..${promptCount - 1}`);
    }
  }
  if (maxRounds === 0) return [];
  const used = new Set(planned);
  const pool = Array.from({ length: promptCount }, (_, i) => i).filter((i) => !used.has(i));
  const order = new SeededRandom(mixSeed(seed, stageIndex, step, REFILL_TAG)).shuffle(pool);
  const rounds: number[][] = [];
  for (let start = 0; start < order.length && rounds.length < maxRounds; start += perRound) {
    rounds.push(order.slice(start, start + perRound));
  }
  return rounds;
}
