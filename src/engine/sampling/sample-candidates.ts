import { ValidationError } from '../../util/errors.ts';
import type { TokenDraw } from './sample-token.ts';

/**
 * Draws one token from the k largest logits of a row (top-k sampling, then top-p within them),
 * given as the generation graph returns them: values largest first, ties by lower id first. The
 * same draw as `sampleToken` with `topK` = k on a row of more than k logits (sampleToken ignores a
 * top-k that keeps every id and walks them by id; here they are walked by rank): candidates are weighed
 * exp((l - max) / τ), the top-p prefix of that ranking is kept, and `u` picks by inverse CDF.
 * `logsumexp` is the full row's log Σ exp(logits), for the token's raw log-prob.
 */
export function sampleCandidates(options: {
  values: Float32Array;
  ids: BigInt64Array | readonly number[];
  temperature: number;
  topP: number;
  u: number;
  logsumexp: number;
}): TokenDraw {
  const { values, temperature, topP, u } = options;
  const k = values.length;
  if (k === 0 || options.ids.length !== k) {
    throw new ValidationError(`candidates: ${k} values and ${options.ids.length} ids`);
  }
  if (!(temperature > 0)) throw new ValidationError('candidates: sampling needs a temperature > 0');
  const id = (j: number) => Number(options.ids[j]);
  const max = values[0] as number;
  const weights = new Float64Array(k);
  let mass = 0;
  for (let j = 0; j < k; j++) {
    const w = Math.exp(((values[j] as number) - max) / temperature);
    weights[j] = w;
    mass += w;
  }
  let kept = k;
  if (topP < 1) {
    let cum = 0;
    for (let j = 0; j < k; j++) {
      cum += weights[j] as number;
      if (cum >= topP * mass) {
        kept = j + 1;
        break;
      }
    }
    mass = cum;
  }
  const target = u * mass;
  let cum = 0;
  let chosen = 0;
  for (let j = 0; j < kept; j++) {
    const w = weights[j] as number;
    if (w <= 0) continue;
    cum += w;
    chosen = j;
    if (cum > target) break;
  }
  return {
    token: id(chosen),
    logprob: (values[chosen] as number) - options.logsumexp,
    samplingLogprob: Math.log((weights[chosen] as number) / mass),
  };
}
