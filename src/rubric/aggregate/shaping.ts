import { UnknownNameError, ValidationError } from '../../util/errors.ts';
import type { Shaping } from '../schema.ts';

/**
 * Targeted shaping: a monotone map of the clipped reward r in [floor, 1] onto
 * [floor, 1] that spreads rewards apart where the policy is already good, so the advantage still
 * separates a good answer from a very good one. Each rule maps floor to floor and 1 to 1, so shaping
 * never changes which responses are at the extremes, only the spacing in between.
 */
export interface ShapingRule<S extends Shaping> {
  /** Why `shaping` cannot map [floor, 1] onto itself monotonically (the field and what is expected), or undefined. */
  check(options: { shaping: S; floor: number }): { field: keyof S & string; message: string } | undefined;
  /** Applies the map to a value in [floor, 1]; `check` must have passed. */
  apply(options: { value: number; shaping: S; floor: number }): number;
}

type Rules = { readonly [K in Shaping['type']]: ShapingRule<Extract<Shaping, { type: K }>> };

/**
 * `power`: r -> r^gamma, written on the position inside [floor, 1] so that a negative floor works:
 * u = (r - floor) / (1 - floor), r' = floor + (1 - floor) u^gamma. With the default floor 0 this is
 * exactly r^gamma. gamma > 1 stretches the top (and squeezes the bottom); gamma < 1 does the reverse.
 */
const power: Rules['power'] = {
  check: () => undefined,
  apply: ({ value, shaping, floor }) => {
    const span = 1 - floor;
    if (span <= 0) return value; // floor = 1: the range is one point.
    const u = Math.min(1, Math.max(0, (value - floor) / span));
    return floor + span * u ** shaping.gamma;
  },
};

/**
 * `stretch`: piecewise linear through (floor, floor), (t, f(t)) and (1, 1), with slope s above the
 * threshold t: f(r) = 1 - s (1 - r) for r >= t, so f(t) = 1 - s (1 - t); below t the line from the
 * floor to (t, f(t)) has slope (f(t) - floor) / (t - floor). That lower slope must stay positive,
 * which needs floor < t and s < (1 - floor) / (1 - t); otherwise the map would leave [floor, 1] or
 * flatten, and flat rewards carry no signal. s > 1 stretches the top (the usual intent); s < 1
 * compresses it. The value is taken as max (s above the lower slope) or min (s below) of the two
 * lines: equal to the piecewise definition, and exactly monotone in floating point at the joint,
 * where choosing a branch by `r < t` could step down by one rounding unit.
 */
const stretch: Rules['stretch'] = {
  check: ({ shaping, floor }) => {
    if (!(floor < shaping.threshold)) {
      return {
        field: 'threshold',
        message: `a threshold above the floor ${floor}, got ${shaping.threshold}`,
      };
    }
    const maxSlope = (1 - floor) / (1 - shaping.threshold);
    // The relative margin keeps rounding from passing a slope that leaves the lower part flat
    // (1 / (1 - 0.8) is 5.000000000000001, so slope 5 would otherwise pass with a lower slope of 1e-16).
    if (!(shaping.slope < maxSlope * (1 - 1e-9))) {
      return {
        field: 'slope',
        message: `a slope below (1 - floor) / (1 - threshold) = ${maxSlope} so the part below the threshold keeps a positive slope, got ${shaping.slope}`,
      };
    }
    return undefined;
  },
  apply: ({ value, shaping, floor }) => {
    const { threshold: t, slope: s } = shaping;
    const atThreshold = 1 - s * (1 - t);
    const lowSlope = (atThreshold - floor) / (t - floor);
    const low = floor + lowSlope * (value - floor);
    const high = 1 - s * (1 - value);
    return s >= lowSlope ? Math.max(low, high) : Math.min(low, high);
  },
};

export const SHAPING_RULES: Rules = Object.freeze({ power, stretch });

export function shapingRule<S extends Shaping>(shaping: S): ShapingRule<S> {
  if (!Object.hasOwn(SHAPING_RULES, shaping.type)) {
    throw new UnknownNameError('shaping', shaping.type, Object.keys(SHAPING_RULES));
  }
  return SHAPING_RULES[shaping.type] as unknown as ShapingRule<S>;
}

/**
 * Checks `shaping` against the floor, naming the rubric and field on failure. Called once per rubric
 * when the aggregation is compiled, so a bad setting fails before any response is scored.
 */
export function checkShaping(options: { shaping: Shaping; floor: number; rubricId: string }): void {
  const problem = shapingRule(options.shaping).check({ shaping: options.shaping, floor: options.floor });
  if (problem !== undefined) {
    throw new ValidationError(
      `rubric '${options.rubricId}', ${options.shaping.type} shaping: ${problem.message}`,
      {
        location: { field: `aggregation.shaping.${problem.field}` },
      },
    );
  }
}

/** Shapes one reward in [floor, 1]: checks the parameters, then applies the rule. */
export function shapeReward(options: {
  value: number;
  shaping: Shaping;
  floor: number;
  rubricId?: string;
}): number {
  const { value, shaping, floor } = options;
  checkShaping({ shaping, floor, rubricId: options.rubricId ?? '(inline)' });
  return shapingRule(shaping).apply({ value, shaping, floor });
}
