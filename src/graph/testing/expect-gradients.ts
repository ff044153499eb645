import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { createRng } from '../random.ts';
import { type HostTensor, randn, uniform } from '../tensor.ts';
import { checkGradients, type GradCheckOptions, type GradCheckResult } from './grad-check.ts';

/** Relative tolerance for float64 finite-difference checks. */
export const FD_TOLERANCE = 1e-6;

/** Runs a finite-difference check, reports the error as a test diagnostic and asserts it. */
export async function expectGradients(
  t: TestContext,
  label: string,
  options: GradCheckOptions & { tolerance?: number },
): Promise<GradCheckResult> {
  const result = await checkGradients(options);
  const detail = Object.entries(result.perInput)
    .map(([name, e]) => `${name} ${e.maxRelError.toExponential(1)}`)
    .join(', ');
  t.diagnostic(`FD ${label}: max rel error ${result.maxRelError.toExponential(2)} (${detail})`);
  const tolerance = options.tolerance ?? FD_TOLERANCE;
  assert.ok(
    result.maxRelError < tolerance,
    `${label}: max relative error ${result.maxRelError} >= ${tolerance}`,
  );
  return result;
}

/** Seeded float64 test inputs. */
export function inputs(seed: number) {
  const rng = createRng(seed);
  return {
    normal: (dims: readonly number[]): HostTensor => randn({ dtype: 'float64', dims, rng }),
    positive: (dims: readonly number[]): HostTensor =>
      uniform({ dtype: 'float64', dims, rng, low: 0.5, high: 2 }),
    uniform: (dims: readonly number[], low: number, high: number): HostTensor =>
      uniform({ dtype: 'float64', dims, rng, low, high }),
    rng,
  };
}
