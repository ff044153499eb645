/**
 * Test support for the aggregation tests (not used by the library): builders for resolved rubrics
 * and verdicts, and fast-check arbitraries over random rubrics and verdict lists.
 */
import fc from 'fast-check';
import { PASS_FAIL_TIERS, type ResolvedCriterion, type ResolvedRubric } from '../resolve.ts';
import { Aggregation, type Shaping, type Tier } from '../schema.ts';
import type { Verdict } from '../verdict.ts';

export function makeCriterion(options: {
  id: string;
  weight?: number;
  /** Tier scores, lowest first; omitted: pass/fail. */
  tiers?: number[];
  veto?: number;
  saturation?: number;
}): ResolvedCriterion {
  const tiers: Tier[] =
    options.tiers === undefined
      ? PASS_FAIL_TIERS
      : options.tiers.map((score, i) => ({ score, label: `tier${i}`, description: '' }));
  return {
    id: options.id,
    description: `criterion ${options.id}`,
    weight: options.weight ?? 1,
    kind: options.veto === undefined ? 'score' : 'veto',
    vetoThreshold: options.veto,
    tiers,
    topScore: tiers.at(-1)!.score,
    saturation: options.saturation === undefined ? undefined : { a: options.saturation },
    evaluator: { type: 'judge', guidance: undefined },
    fromRubric: 'test/rubric',
  };
}

/** `aggregation` goes through the rubric schema, so defaults apply as they do for a rubric file. */
export function makeRubric(options: {
  criteria: ResolvedCriterion[];
  aggregation?: unknown;
}): ResolvedRubric {
  return {
    id: 'test/rubric',
    version: 1,
    title: 'Test rubric',
    scope: 'task',
    tags: [],
    prompt: undefined,
    aggregation: Aggregation.parse(options.aggregation ?? {}),
    criteria: options.criteria,
    sources: ['test/rubric'],
  };
}

export function scored(criterionId: string, tierScore: number, tierLabel = `score ${tierScore}`): Verdict {
  return {
    criterionId,
    status: 'scored',
    tierScore,
    tierLabel,
    reason: `scored ${tierScore}`,
    evaluator: 'test',
  };
}

export function unscorable(criterionId: string, reason = 'judge reply malformed'): Verdict {
  return { criterionId, status: 'unscorable', reason, evaluator: 'test' };
}

export interface RubricArbitraryOptions {
  /** 'nonNegative' keeps every interaction coefficient >= 0 (the setting where monotonicity holds). */
  coefficients?: 'any' | 'nonNegative';
  /** Every criterion's weight magnitude is drawn from [min, max]. */
  weightRange?: { min: number; max: number };
  /** At least this many veto criteria. */
  minVetoes?: number;
}

const criterionArbitrary = (id: string, options: RubricArbitraryOptions & { veto: boolean }) => {
  const range = options.weightRange ?? { min: 0.05, max: 10 };
  const magnitude = fc.double({ min: range.min, max: range.max, noNaN: true });
  return fc
    .record({
      // Veto criteria carry a positive weight (the plan rejects negative ones); one in three others is a penalty.
      weight: options.veto
        ? magnitude
        : fc.oneof({ arbitrary: magnitude, weight: 2 }, { arbitrary: magnitude.map((w) => -w), weight: 1 }),
      tiers: fc.oneof(
        fc.constant(undefined),
        fc
          .uniqueArray(fc.integer({ min: 0, max: 20 }), { minLength: 2, maxLength: 5 })
          .map((scores) => scores.sort((a, b) => a - b))
          .filter((scores) => scores.at(-1)! > 0),
      ),
      // Thresholds above 0 so that a score of 0 always fires the veto.
      threshold: fc.double({ min: 0.01, max: 1, noNaN: true }),
      saturation: fc.option(fc.double({ min: 1e-9, max: 30, noNaN: true }), { nil: undefined }),
    })
    .map(({ weight, tiers, threshold, saturation }) =>
      makeCriterion({
        id,
        weight,
        ...(tiers === undefined ? {} : { tiers }),
        ...(options.veto ? { veto: threshold } : {}),
        ...(saturation === undefined ? {} : { saturation }),
      }),
    );
};

const shapingArbitrary = (floor: number): fc.Arbitrary<Shaping | undefined> => {
  const low = Math.max(floor, 0);
  return fc.oneof(
    fc.constant(undefined),
    fc.double({ min: 0.1, max: 6, noNaN: true }).map((gamma): Shaping => ({ type: 'power', gamma })),
    fc
      .tuple(
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
      )
      .map(([u, v]): Shaping => {
        const threshold = low + (1 - low) * u;
        return { type: 'stretch', threshold, slope: ((1 - floor) / (1 - threshold)) * v };
      }),
  );
};

/** Random rubrics of 1 to 7 criteria, with random aggregation settings. */
export function rubricArbitrary(options: RubricArbitraryOptions = {}): fc.Arbitrary<ResolvedRubric> {
  return fc
    .tuple(
      fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
      fc.double({ min: -1, max: 0.9, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.option(fc.double({ min: 1e-9, max: 30, noNaN: true }), { nil: undefined }),
    )
    .chain(([vetoFlags, floor, minScoredFraction, saturation]) => {
      const flags = vetoFlags.map((v, i) => v && i % 4 === 0); // criteria 0 and 4, each half the time
      for (let i = 0; i < Math.min(options.minVetoes ?? 0, flags.length); i++) flags[i] = true;
      const ids = flags.map((_, i) => `c${i}`);
      const coefficient =
        options.coefficients === 'nonNegative'
          ? fc.double({ min: 0, max: 1, noNaN: true })
          : fc.double({ min: -1, max: 1, noNaN: true });
      const interaction = fc.record({
        a: fc.constantFrom(...ids),
        b: fc.constantFrom(...ids),
        coefficient,
        fn: fc.constantFrom('min' as const, 'product' as const),
      });
      return fc
        .tuple(
          fc.tuple(...flags.map((veto, i) => criterionArbitrary(ids[i]!, { ...options, veto }))),
          fc.array(interaction, { maxLength: 4 }),
          shapingArbitrary(floor),
        )
        .map(([criteria, interactions, shaping]) =>
          makeRubric({
            criteria,
            aggregation: {
              floor,
              minScoredFraction,
              interactions,
              ...(saturation === undefined ? {} : { saturation: { a: saturation } }),
              ...(shaping === undefined ? {} : { shaping }),
            },
          }),
        );
    });
}

/** A verdict for one criterion: unscorable, a written tier, or a fractional score in [0, top]. */
export function verdictArbitrary(criterion: ResolvedCriterion): fc.Arbitrary<Verdict> {
  const tier = fc.constantFrom(...criterion.tiers).map((t) => scored(criterion.id, t.score, t.label));
  const fractional = fc
    .double({ min: 0, max: criterion.topScore, noNaN: true })
    .map((s) => scored(criterion.id, s, 'averaged'));
  return fc.oneof(
    { arbitrary: tier, weight: 3 },
    { arbitrary: fractional, weight: 1 },
    { arbitrary: fc.constant(unscorable(criterion.id)), weight: 1 },
  );
}

/** One verdict per criterion, in the rubric's order. */
export function verdictsArbitrary(rubric: ResolvedRubric): fc.Arbitrary<Verdict[]> {
  return fc.tuple(...rubric.criteria.map(verdictArbitrary));
}

/** A rubric and one response's verdicts. */
export function caseArbitrary(options: RubricArbitraryOptions = {}) {
  return rubricArbitrary(options).chain((rubric) =>
    verdictsArbitrary(rubric).map((verdicts) => ({ rubric, verdicts })),
  );
}
