import type { Purpose } from '../contracts/step-refs.ts';
import { SeededRandom } from '../data/generator/rng.ts';
import { ValidationError } from '../util/errors.ts';

/**
 * Mixes integers into one seed (FNV-1a over their 32-bit halves, then a splitmix finaliser), so
 * nearby inputs give unrelated seeds. Pure and platform-independent: workers on different machines
 * derive the same seed for the same step.
 */
export function mixSeed(...parts: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    if (!Number.isSafeInteger(part)) throw new RangeError(`seed part must be a safe integer, got ${part}`);
    const lo = part >>> 0;
    const hi = Math.floor(part / 2 ** 32) >>> 0;
    for (const word of [lo, hi]) {
      for (let s = 0; s < 32; s += 8) {
        h ^= (word >>> s) & 0xff;
        h = Math.imul(h, 0x01000193);
      }
    }
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const PURPOSE_CODE: Record<Purpose, number> = { train: 1, eval: 2, select: 3 };

/** The sampling seed of a step: a function of the run seed, the step and the purpose only. */
export function stepSeed(options: { runSeed: number; step: number; purpose: Purpose }): number {
  return mixSeed(options.runSeed, options.step, PURPOSE_CODE[options.purpose]);
}

/**
 * Which prompts a training step uses: indices into the stage's prompt list. The list is walked in
 * epochs, each a fresh seeded permutation, `perStep` prompts per step, so every prompt is used once
 * per epoch and the choice depends only on (seed, stage, step): a retried or resumed step draws the
 * same prompts. `stepInStage` counts from 0.
 *
 * With `strata` (one label per prompt), each epoch is a stratified permutation: every stratum's
 * prompts are spread evenly over the epoch, so any run of consecutive steps sees the strata in
 * proportion to their sizes instead of by chance (a plain shuffle of 512 prompts in 12 kinds gave
 * one run 3 and another 12 of the same kind in its first 96 prompts).
 */
export function selectStepPrompts(options: {
  promptCount: number;
  perStep: number;
  seed: number;
  stageIndex: number;
  stepInStage: number;
  strata?: readonly string[];
}): number[] {
  const { promptCount, perStep, seed, stageIndex, stepInStage, strata } = options;
  if (!Number.isInteger(promptCount) || promptCount < 1) {
    throw new ValidationError(`a stage needs at least one prompt, got ${promptCount}`);
  }
  if (!Number.isInteger(perStep) || perStep < 1 || perStep > promptCount) {
    throw new ValidationError(`prompts per step must be in 1..${promptCount}, got ${perStep}`);
  }
  if (!Number.isInteger(stepInStage) || stepInStage < 0) {
    throw new ValidationError(`expected a step within the stage (>= 0), got ${stepInStage}`);
  }
  if (strata !== undefined && strata.length !== promptCount) {
    throw new ValidationError(`expected one stratum per prompt (${promptCount}), got ${strata.length}`);
  }
  const identity = Array.from({ length: promptCount }, (_, i) => i);
  const permutations = new Map<number, number[]>();
  const permutation = (epoch: number): number[] => {
    let p = permutations.get(epoch);
    if (p === undefined) {
      const random = new SeededRandom(mixSeed(seed, stageIndex, epoch));
      p = strata === undefined ? random.shuffle(identity) : stratifiedPermutation(strata, random);
      permutations.set(epoch, p);
    }
    return p;
  };
  const out: number[] = [];
  for (let i = 0; i < perStep; i++) {
    const position = stepInStage * perStep + i;
    out.push(permutation(Math.floor(position / promptCount))[position % promptCount]!);
  }
  return out;
}

/**
 * A seeded permutation of `strata.length` indices in which each stratum is spread evenly: the j-th
 * of a stratum's n members (in shuffled order) sits at key (j + u) / n, u one uniform offset per
 * stratum, and the indices are ordered by key (ties in a random order). Pure.
 */
export function stratifiedPermutation(strata: readonly string[], random: SeededRandom): number[] {
  const members = new Map<string, number[]>();
  strata.forEach((label, i) => {
    const list = members.get(label);
    if (list === undefined) members.set(label, [i]);
    else list.push(i);
  });
  const keyed: { index: number; key: number; tie: number }[] = [];
  for (const label of [...members.keys()].sort()) {
    const shuffled = random.shuffle(members.get(label)!);
    const offset = random.next();
    shuffled.forEach((index, j) => {
      keyed.push({ index, key: (j + offset) / shuffled.length, tie: random.next() });
    });
  }
  keyed.sort((a, b) => a.key - b.key || a.tie - b.tie);
  return keyed.map((k) => k.index);
}

/** A prompt's stratum for `prompts.balanceBy`: its first tag with the prefix, or '' when none has it. */
export function promptStratum(tags: readonly string[], prefix: string): string {
  return tags.find((t) => t.startsWith(prefix)) ?? '';
}
